// What "best" means: fastest step (default), highest MFU, or fewest GPUs that
// meet a step-time budget. Each objective orders plans by a key (smaller is
// better, compared lexicographically) and gives, from a step-time lower bound,
// a key that can only be smaller than or equal to the plan's real key — which
// is what makes branch and bound exact.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config.h"

namespace parallax {

enum class Objective { kFastest, kMfu, kFewestGpus };
const std::vector<std::pair<std::string, Objective>>& ObjectiveNames();  // fastest, mfu, fewest-gpus

using ObjectiveKey = std::pair<double, double>;

// Model FLOPs of one step (Narayanan et al. convention, core/model.h) over
// the GPUs' peak: MFU = ModelFlopsPerStep / (step_time x gpus x peak).
double ModelFlopsPerStep(const Job& job);
double MfuOf(const Job& job, double step_time_s);

// The key of a plan with step time `step_time_s` (or, given a lower bound on
// it, a lower bound on the key).
ObjectiveKey KeyOf(Objective objective, const Job& job, double step_time_s);

}  // namespace parallax
