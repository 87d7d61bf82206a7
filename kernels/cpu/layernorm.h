// LayerNorm over the last dimension, fp32 CPU reference, forward and backward.
// y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps), var biased.
// Forward saves mean and rstd per row [rows] for the backward.
// dx is written; dweight and dbias are accumulated (+=).
#pragma once

namespace parallax::cpu {

void layernorm_forward(const float* x, const float* weight, const float* bias, int rows, int dim,
                       float eps, float* y, float* mean, float* rstd);
void layernorm_backward(const float* dy, const float* x, const float* weight, const float* mean,
                        const float* rstd, int rows, int dim, float* dx, float* dweight,
                        float* dbias);

}  // namespace parallax::cpu
