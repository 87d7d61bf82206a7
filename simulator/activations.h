// Activation memory: the bytes one transformer layer keeps for its backward
// pass, per micro-batch, term by term as Korthikanti et al. 2022 derive them
// (Sec. 4, Table 2), generalised to GQA, SwiGLU, any FFN width, MoE, flash
// attention, dropout on/off, context parallel and PyTorch-autocast layouts;
// and the number of micro-batches each pipeline schedule keeps in flight.
// With activation_layout parallax-gpu: what runtime/gpu/gpt_model.cc keeps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace parallax {

struct ActivationTerm {
  std::string name;
  double bytes = 0;
};

// Saved activations of transformer layer `layer` for one micro-batch on one
// GPU, with the terms that make it up.
std::vector<ActivationTerm> LayerActivationTerms(const Job& job, int layer);
double LayerActivationBytes(const Job& job, int layer);
// The same under an explicit recompute (a layer partial recompute leaves out
// keeps what Recompute::kNone keeps).
double LayerActivationBytes(const Job& job, int layer, Recompute recompute);

// Working set of one layer rebuilt during backward under full recompute
// (the layer's no-recompute activations), 0 otherwise.
double RecomputeWorkingSetBytes(const Job& job, int layer);

// Micro-batches whose activations a stage holds at its peak, as Megatron's
// schedules keep them: no pipeline 1; GPipe m; 1F1B and ZB-H1 min(p - s, m);
// interleaved, in units of model chunks: min(m*v, 2(p - s - 1) + (v - 1)p + 1).
// Returned in micro-batches of the whole stage (chunks / v), possibly fractional.
double InflightMicroBatches(const ParallelConfig& p, int64_t micro_batches, int stage);

}  // namespace parallax
