// AdamW step and global-norm clipping (see adamw.h).
#include "kernels/cpu/adamw.h"

#include <cmath>
#include <stdexcept>

namespace parallax::cpu {

void adamw_step(float* param, const float* grad, float* m, float* v, size_t n,
                const AdamWConfig& cfg, int step) {
  if (step < 1) throw std::invalid_argument("adamw_step: step counts from 1");
  const float bc1 = 1.0f - std::pow(cfg.beta1, static_cast<float>(step));
  const float bc2 = 1.0f - std::pow(cfg.beta2, static_cast<float>(step));
  for (size_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = cfg.beta1 * m[i] + (1.0f - cfg.beta1) * g;
    v[i] = cfg.beta2 * v[i] + (1.0f - cfg.beta2) * g * g;
    const float update = (m[i] / bc1) / (std::sqrt(v[i] / bc2) + cfg.eps);
    param[i] -= cfg.lr * (update + cfg.weight_decay * param[i]);
  }
}

double grad_global_norm(const float* const* grads, const size_t* sizes, int count) {
  double ss = 0;
  for (int t = 0; t < count; ++t)
    for (size_t i = 0; i < sizes[t]; ++i) ss += double(grads[t][i]) * grads[t][i];
  return std::sqrt(ss);
}

double clip_grad_global_norm(float* const* grads, const size_t* sizes, int count,
                             double max_norm) {
  const double norm = grad_global_norm(grads, sizes, count);
  if (norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (int t = 0; t < count; ++t)
      for (size_t i = 0; i < sizes[t]; ++i) grads[t][i] *= scale;
  }
  return norm;
}

}  // namespace parallax::cpu
