// How many micro-batches' activations a stage holds at once, found by walking its
// program: a (chunk, micro_batch) is alive from its forward until its backward
// (B, or BI for zero-bubble schedules) has finished. The memory model multiplies
// the peak by one chunk's activation bytes. Closed forms this reproduces:
// GPipe m; 1F1B and ZB-H1 min(pp - s, m); Megatron interleaved
// min(2(pp - s - 1) + (vpp - 1)·pp + 1, m·vpp) chunk-sized units.
#pragma once

#include "simulator/program.h"

namespace parallax {

struct InFlight {
  // Peak count of (chunk, mb) with forward done and backward input-grad not done.
  int max_activations = 0;
  // Peak count of (chunk, mb) with BI done and BW not done (ZB: the inputs and
  // output grads that BW still needs are kept); 0 without split backwards.
  int max_weight_grad_pending = 0;
};

InFlight CountInFlight(const Program& program);

}  // namespace parallax
