// Forward, loss and backward of one micro-batch of the CPU model (layout in
// model_weights.h), built from the fp32 reference ops of //kernels/cpu:ops.
// Forward saves what the backward needs in an Activations object per
// micro-batch, so an executor can run F(mb) and B(mb) as separate program
// instructions. A ModelPart (a pipeline virtual stage: a layer range, with the
// embedding on the first and the final norm, logits and loss on the last)
// runs the same code on a slice, taking and giving hidden states [T, hidden]. The loss is the mean next-token cross-entropy over the
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

// Layers [first_layer, end_layer) plus the embedding and/or the head.
struct ModelPart {
  int first_layer = 0, end_layer = 0;
  bool has_embedding = true, has_head = true;
};
inline ModelPart WholeModel(const ModelSpec& m) { return {0, m.num_layers, true, true}; }

// The part of virtual stage `vs` of `stages` when the layers are split as
// `layers_per_stage` (sums to num_layers; one entry per virtual stage).
ModelPart PartOfVirtualStage(const ModelSpec& m, const std::vector<int>& layers_per_stage, int vs);

struct Activations {
  int batch = 0, seq = 0;
  std::vector<int32_t> tokens, targets;  // [batch * seq]
  std::vector<LayerActivations> layers;  // the part's layers, from its first
  std::vector<float> x_out, nf, meanf, rstdf;
  std::vector<float> dlogits;  // [batch * seq, vocab], d(mean loss)/d(logits), from the fused CE
  // x_out: the part's output hidden state (what SEND_F sends) when it has no head.
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

// A part's forward: x_in [T, hidden] is its input unless it has the embedding;
// returns the loss if it has the head (else 0; the output is acts->x_out).
float PartForward(const ModelLayout& layout, const ModelPart& part, const float* params, const int32_t* tokens,
                  const int32_t* targets, int batch, int seq, const float* x_in, Activations* acts);
// A part's backward: dx_out is the gradient of its output unless it has the
// head; writes dx_in [T, hidden] (the gradient of x_in) unless it has the embedding.
void PartBackward(const ModelLayout& layout, const ModelPart& part, const float* params, Activations* acts,
                  float grad_scale, const float* dx_out, float* dx_in, float* grads);

}  // namespace parallax
