// Model-state lower bound on peak memory.
#include "planner/memory_bound.h"

#include <algorithm>

#include "simulator/activations.h"
#include "simulator/memory_model.h"

namespace parallax {

int64_t PeakMemoryLowerBoundBytes(const Job& job) {
  const ParallelConfig& p = job.parallel;
  const int shards = p.dp * p.cp;
  const int expert_shards = std::max(1, shards / p.ep);
  // The heaviest stage is the first, the last, or a middle one (all middle
  // stages carry the same layers in the planner's splits; any stage is a bound).
  const std::vector<int> layers = job.StageLayers();
  const int64_t micro_batches = job.micro_batches();
  double best = 0;
  int first_layer_of[3] = {0, layers[0], job.model.num_layers - layers[p.pp - 1]};
  const int stages[3] = {0, std::min(1, p.pp - 1), p.pp - 1};
  for (int k = 0; k < 3; ++k) {
    const int stage = stages[k];
    const StageParams params = ParamsOnStage(job, layers, stage);
    const ModelStateBytes dense = ModelStates(params.dense, job.training.precision, p.zero, shards);
    const ModelStateBytes expert = ModelStates(params.expert, job.training.precision, p.zero, expert_shards);
    // Optimizer step: every model state. Backward start: weights, optimizer
    // states and the in-flight activations (gradients may not be resident yet).
    double activations = 0;
    if (!job.model.moe.enabled() && layers[stage] > 0) {  // dense: every layer keeps the same bytes
      activations = LayerActivationBytes(job, first_layer_of[k]) * layers[stage] *
                    InflightMicroBatches(p, micro_batches, stage);
    }
    best = std::max({best, dense.total() + expert.total(),
                     dense.weights + expert.weights + dense.optimizer + expert.optimizer + activations});
  }
  return static_cast<int64_t>(best);
}

}  // namespace parallax
