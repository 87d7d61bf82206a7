// Token embedding plus learned position embedding on the GPU (GPT-2 input layer).
// out[b, t, :] = wte[tokens[b, t], :] + wpe[t, :] (wpe may be null: Llama, RoPE
// models). Backward scatter-adds dout into fp32 dwte (atomics: repeated tokens)
// and sums dout over the batch into fp32 dwpe; both are accumulated (+=).
// dim must be a multiple of 8 (16-byte vectors).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace parallax::gpu {

void embedding_forward(const int32_t* tokens, const __nv_bfloat16* wte, const __nv_bfloat16* wpe,
                       int batch, int seq, int dim, __nv_bfloat16* out, cudaStream_t stream);
void embedding_backward(const int32_t* tokens, const __nv_bfloat16* dout, int batch, int seq,
                        int dim, float* dwte, float* dwpe, cudaStream_t stream);

}  // namespace parallax::gpu
