// Forward, loss and backward of one micro-batch of the CPU model (layout in
// model_weights.h), built from the fp32 reference ops of //kernels/cpu:ops.
// Forward saves what the backward needs in an Activations object per
// micro-batch, so an executor can run F(mb) and B(mb) as separate program
// instructions. The loss is the mean next-token cross-entropy over the
// micro-batch; the backward adds grad_scale x d(loss)/d(params) into grads
// (grad_scale = 1 / (micro-batches x dp) makes the sum the global-batch mean).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/model_weights.h"

namespace parallax {

// Norm epsilon and RoPE base used by the CPU model (ModelSpec has neither).
inline constexpr float kNormEps = 1e-5f;
inline constexpr float kRopeTheta = 10000.0f;

struct LayerActivations {
  std::vector<float> x_in, n1, mean1, rstd1, q, k, v, ctx, lse, x_mid, n2, mean2, rstd2, up, act;
};

struct Activations {
  int batch = 0, seq = 0;
  std::vector<int32_t> tokens, targets;  // [batch * seq]
  std::vector<LayerActivations> layers;
  std::vector<float> x_out, nf, meanf, rstdf;
  std::vector<float> dlogits;  // [batch * seq, vocab], d(mean loss)/d(logits), from the fused CE
  float loss = 0;
  int64_t bytes() const;  // memory held, for accounting
};

// Runs the forward and the loss; fills `acts`. tokens and targets are
// [batch * seq]; targets < 0 are ignored. Returns the mean loss.
float ModelForward(const ModelLayout& layout, const float* params, const int32_t* tokens,
                   const int32_t* targets, int batch, int seq, Activations* acts);

// grads[i] += grad_scale * d(loss)/d(params[i]). Consumes acts (scales dlogits in place).
void ModelBackward(const ModelLayout& layout, const float* params, Activations* acts, float grad_scale,
                   float* grads);

}  // namespace parallax
