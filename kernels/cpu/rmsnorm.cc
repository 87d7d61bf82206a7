// RMSNorm forward/backward (see rmsnorm.h). Backward:
// dx = rstd * (g - x * rstd^2 * mean(g * x)), g = weight * dy.
#include "kernels/cpu/rmsnorm.h"

#include <cmath>
#include <cstddef>

namespace parallax::cpu {

void rmsnorm_forward(const float* x, const float* weight, int rows, int dim, float eps, float* y,
                     float* rstd) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * dim;
    float* yr = y + static_cast<size_t>(r) * dim;
    double ss = 0;
    for (int c = 0; c < dim; ++c) ss += double(xr[c]) * xr[c];
    const float rs = static_cast<float>(1.0 / std::sqrt(ss / dim + eps));
    for (int c = 0; c < dim; ++c) yr[c] = xr[c] * rs * weight[c];
    rstd[r] = rs;
  }
}

void rmsnorm_backward(const float* dy, const float* x, const float* weight, const float* rstd,
                      int rows, int dim, float* dx, float* dweight) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * dim;
    const float* dyr = dy + static_cast<size_t>(r) * dim;
    float* dxr = dx + static_cast<size_t>(r) * dim;
    const float rs = rstd[r];
    double gx_mean = 0;
    for (int c = 0; c < dim; ++c) {
      gx_mean += double(weight[c]) * dyr[c] * xr[c];
      dweight[c] += dyr[c] * xr[c] * rs;
    }
    gx_mean /= dim;
    for (int c = 0; c < dim; ++c)
      dxr[c] = rs * static_cast<float>(weight[c] * dyr[c] - xr[c] * rs * rs * gx_mean);
  }
}

}  // namespace parallax::cpu
