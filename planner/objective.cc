// Objective keys. All three are monotone in step time for a fixed GPU count,
// so KeyOf(lower bound) <= KeyOf(simulated time).
#include "planner/objective.h"

#include "core/model.h"

namespace parallax {

const std::vector<std::pair<std::string, Objective>>& ObjectiveNames() {
  static const std::vector<std::pair<std::string, Objective>> t = {
      {"fastest", Objective::kFastest}, {"mfu", Objective::kMfu}, {"fewest-gpus", Objective::kFewestGpus}};
  return t;
}

double ModelFlopsPerStep(const Job& job) {
  const double tokens = static_cast<double>(job.training.global_batch) * job.training.seq;
  return CountFlops(job.model, job.training.seq).model_per_token() * tokens;
}

double MfuOf(const Job& job, double step_time_s) {
  return ModelFlopsPerStep(job) / (step_time_s * job.parallel.gpus() * job.cluster.gpu.peak_bf16_flops);
}

ObjectiveKey KeyOf(Objective objective, const Job& job, double step_time_s) {
  switch (objective) {
    case Objective::kFastest: return {step_time_s, 0};
    case Objective::kMfu: return {-MfuOf(job, step_time_s), step_time_s};
    case Objective::kFewestGpus: return {static_cast<double>(job.parallel.gpus()), step_time_s};
  }
  return {step_time_s, 0};
}

}  // namespace parallax
