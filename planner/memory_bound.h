// A cheap lower bound on a configuration's per-GPU peak memory, from the
// memory model's own pieces (ParamsOnStage, ModelStates, LayerActivationBytes,
// InflightMicroBatches) but without its named terms and transients: for the
// first, a middle and the last stage, the larger of all model states (the
// optimizer step) and weights + optimizer states + in-flight activations
// (backward start). A plan whose bound is over the limit is rejected without
// running the full model.
#pragma once

#include <cstdint>

#include "core/config.h"

namespace parallax {

int64_t PeakMemoryLowerBoundBytes(const Job& job);

}  // namespace parallax
