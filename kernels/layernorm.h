// LayerNorm and RMSNorm on the GPU: bf16 in/out, fp32 statistics, fp32 weight
// gradients. Forward saves mean (LayerNorm only) and rstd [rows] in fp32.
// Backward writes dx (bf16) and accumulates dweight / dbias (fp32, +=); the
// weight gradient is a separate column-reduction pass (one atomic per channel
// per block of rows).
// One warp per row; dim must be a multiple of 8 and at most 16384.
// Same math as kernels/cpu/layernorm.h and kernels/cpu/rmsnorm.h.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace parallax::gpu {

void layernorm_forward(const __nv_bfloat16* x, const __nv_bfloat16* weight,
                       const __nv_bfloat16* bias, int rows, int dim, float eps, __nv_bfloat16* y,
                       float* mean, float* rstd, cudaStream_t stream);
void layernorm_backward(const __nv_bfloat16* dy, const __nv_bfloat16* x,
                        const __nv_bfloat16* weight, const float* mean, const float* rstd,
                        int rows, int dim, __nv_bfloat16* dx, float* dweight, float* dbias,
                        cudaStream_t stream);

void rmsnorm_forward(const __nv_bfloat16* x, const __nv_bfloat16* weight, int rows, int dim,
                     float eps, __nv_bfloat16* y, float* rstd, cudaStream_t stream);
void rmsnorm_backward(const __nv_bfloat16* dy, const __nv_bfloat16* x,
                      const __nv_bfloat16* weight, const float* rstd, int rows, int dim,
                      __nv_bfloat16* dx, float* dweight, cudaStream_t stream);

}  // namespace parallax::gpu
