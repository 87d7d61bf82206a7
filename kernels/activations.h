// GELU (tanh approximation) and SwiGLU on the GPU, bf16 in/out, fp32 math, the
// same formulas as kernels/cpu/activations.h. The element formulas live in
// activations_math.cuh so a GEMM epilogue can reuse them later.
// SwiGLU input is the fused up-projection gate_up [rows, 2 * hidden] = [gate | up].
// n and hidden must be multiples of 8 (16-byte vectors). dx / dgate_up are written.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>

namespace parallax::gpu {

void gelu_forward(const __nv_bfloat16* x, size_t n, __nv_bfloat16* y, cudaStream_t stream);
void gelu_backward(const __nv_bfloat16* dy, const __nv_bfloat16* x, size_t n, __nv_bfloat16* dx,
                   cudaStream_t stream);
void swiglu_forward(const __nv_bfloat16* gate_up, int rows, int hidden, __nv_bfloat16* out,
                    cudaStream_t stream);
void swiglu_backward(const __nv_bfloat16* dout, const __nv_bfloat16* gate_up, int rows,
                     int hidden, __nv_bfloat16* dgate_up, cudaStream_t stream);

}  // namespace parallax::gpu
