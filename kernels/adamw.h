// Multi-tensor AdamW on the GPU (Megatron's bf16-mixed recipe): fp32 master
// weights, fp32 gradients, fp32 m and v; each step also writes the bf16 copy of
// the weights that the next forward reads. One launch covers up to 64 tensors
// (more are split into several launches); blocks take 16K-element chunks, so
// tensors of any size share the chip evenly. Same formula as kernels/cpu/adamw.h.
// Global-norm clipping without a host sync: grad_sumsq_multi_tensor adds the
// squared norm of all gradients into a device float; adamw_multi_tensor reads it
// and scales the gradients by min(1, max_norm / (norm + 1e-6)).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

namespace parallax::gpu {

struct AdamWTensor {
  float* param;                // fp32 master weights
  const float* grad;           // fp32 gradients
  float* m;                    // first moment
  float* v;                    // second moment
  __nv_bfloat16* param_bf16;   // bf16 copy written each step (may be null)
  size_t n;
};

struct AdamWConfig {
  float lr = 3e-4f, beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0.1f;
};

// *sumsq += sum over all tensors of grad^2 (caller zeroes *sumsq first).
void grad_sumsq_multi_tensor(const std::vector<AdamWTensor>& tensors, float* sumsq,
                             cudaStream_t stream);

// step counts from 1. grad_sumsq: device pointer from grad_sumsq_multi_tensor,
// or null for no clipping (then max_norm is ignored).
void adamw_multi_tensor(const std::vector<AdamWTensor>& tensors, const AdamWConfig& cfg, int step,
                        const float* grad_sumsq, float max_norm, cudaStream_t stream);

}  // namespace parallax::gpu
