// LayerNorm forward/backward (see layernorm.h). Backward uses the standard form
// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = weight * dy.
#include "kernels/cpu/layernorm.h"

#include <cmath>
#include <cstddef>

namespace parallax::cpu {

void layernorm_forward(const float* x, const float* weight, const float* bias, int rows, int dim,
                       float eps, float* y, float* mean, float* rstd) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * dim;
    float* yr = y + static_cast<size_t>(r) * dim;
    double sum = 0;
    for (int c = 0; c < dim; ++c) sum += xr[c];
    const float mu = static_cast<float>(sum / dim);
    double var = 0;
    for (int c = 0; c < dim; ++c) var += double(xr[c] - mu) * (xr[c] - mu);
    const float rs = static_cast<float>(1.0 / std::sqrt(var / dim + eps));
    for (int c = 0; c < dim; ++c) yr[c] = (xr[c] - mu) * rs * weight[c] + bias[c];
    mean[r] = mu;
    rstd[r] = rs;
  }
}

void layernorm_backward(const float* dy, const float* x, const float* weight, const float* mean,
                        const float* rstd, int rows, int dim, float* dx, float* dweight,
                        float* dbias) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * dim;
    const float* dyr = dy + static_cast<size_t>(r) * dim;
    float* dxr = dx + static_cast<size_t>(r) * dim;
    const float mu = mean[r], rs = rstd[r];
    double g_mean = 0, gx_mean = 0;
    for (int c = 0; c < dim; ++c) {
      const float xhat = (xr[c] - mu) * rs;
      const float g = weight[c] * dyr[c];
      g_mean += g;
      gx_mean += double(g) * xhat;
      dweight[c] += dyr[c] * xhat;
      dbias[c] += dyr[c];
    }
    g_mean /= dim;
    gx_mean /= dim;
    for (int c = 0; c < dim; ++c) {
      const float xhat = (xr[c] - mu) * rs;
      const float g = weight[c] * dyr[c];
      dxr[c] = rs * static_cast<float>(g - g_mean - xhat * gx_mean);
    }
  }
}

}  // namespace parallax::cpu
