// Rotary position embedding on the GPU, rotate-half (GPT-NeoX / Llama), bf16,
// in place allowed; same convention and layout as kernels/cpu/rope.h:
// x [batch, seq, heads, head_dim], position of token t is pos0 + t, angle of
// pair i is pos * theta^(-2i / head_dim). Backward rotates by the negative angle.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace parallax::gpu {

void rope_forward(const __nv_bfloat16* x, int batch, int seq, int heads, int head_dim,
                  float theta, int pos0, __nv_bfloat16* y, cudaStream_t stream);
void rope_backward(const __nv_bfloat16* dy, int batch, int seq, int heads, int head_dim,
                   float theta, int pos0, __nv_bfloat16* dx, cudaStream_t stream);

}  // namespace parallax::gpu
