// AdamW optimizer step and global gradient-norm clipping, fp32 CPU reference.
// AdamW (Loshchilov & Hutter), step t counts from 1:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr * ( (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + wd * p )
// Clipping: norm = sqrt(sum over all tensors of g^2); if norm > max_norm every
// gradient is scaled by max_norm / (norm + 1e-6) (PyTorch clip_grad_norm_).
#pragma once
#include <cstddef>

namespace parallax::cpu {

struct AdamWConfig {
  float lr = 3e-4f, beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0.1f;
};

void adamw_step(float* param, const float* grad, float* m, float* v, size_t n,
                const AdamWConfig& cfg, int step);

// Norm of all tensors together (accumulated in double).
double grad_global_norm(const float* const* grads, const size_t* sizes, int count);
// Clips in place; returns the norm before clipping.
double clip_grad_global_norm(float* const* grads, const size_t* sizes, int count, double max_norm);

}  // namespace parallax::cpu
