// RMSNorm over the last dimension, fp32 CPU reference, forward and backward.
// y = x * rstd * weight, rstd = 1 / sqrt(mean(x^2) + eps) (Llama convention:
// no bias, no mean subtraction). Forward saves rstd per row [rows].
// dx is written; dweight is accumulated (+=).
#pragma once

namespace parallax::cpu {

void rmsnorm_forward(const float* x, const float* weight, int rows, int dim, float eps, float* y,
                     float* rstd);
void rmsnorm_backward(const float* dy, const float* x, const float* weight, const float* rstd,
                      int rows, int dim, float* dx, float* dweight);

}  // namespace parallax::cpu
