// The compute order of each pipeline schedule on one stage: the sequence of
// forward / backward (or input-grad / weight-grad) steps over (chunk,
// micro_batch), before p2p and data-parallel instructions are woven in by
// schedule.cc. One function per schedule, picked from a dispatch table.
#pragma once

#include <vector>

#include "simulator/program.h"
#include "simulator/schedule.h"

namespace parallax {

struct ComputeStep {
  OpKind op;  // kForward, kBackward, kBackwardInput or kBackwardWeight
  int chunk;
  int micro_batch;
};

// Compute order of `stage` for a validated spec (only kind, pp, vpp and
// micro_batches are read).
std::vector<ComputeStep> ComputeOrder(const ScheduleSpec& spec, int stage);

// Megatron's interleaved schedule: warm-up forwards on `stage`,
// min((pp - stage - 1)·2 + (vpp - 1)·pp, micro_batches·vpp).
int InterleavedWarmupForwards(int pp, int vpp, int micro_batches, int stage);

}  // namespace parallax
