// Closed-form test evaluator.
#include "planner/synthetic_evaluator.h"

#include <algorithm>
#include <cmath>

#include "core/model.h"
#include "planner/objective.h"

namespace parallax {
namespace {

double IdealComputeS(const Job& j) {
  return ModelFlopsPerStep(j) / (j.parallel.gpus() * j.cluster.gpu.peak_bf16_flops * 0.7);
}

int MaxStageLayers(const Job& j) {
  const auto s = j.StageLayers();
  return *std::max_element(s.begin(), s.end());
}

double RecomputeFactor(Recompute r) {
  return r == Recompute::kNone ? 1.0 : r == Recompute::kSelective ? 1.05 : 4.0 / 3.0;
}

// Compute time of the most loaded stage: the lower bound.
double ComputeS(const Job& j) {
  const ParallelConfig& p = j.parallel;
  const double imbalance = static_cast<double>(MaxStageLayers(j)) * p.pp / j.model.num_layers;
  return IdealComputeS(j) * RecomputeFactor(p.recompute) * std::max(1.0, imbalance) *
         (1 + 0.02 * std::log2(16.0 / j.training.micro_batch));
}

PlanScore Simulate(const Job& j) {
  const ParallelConfig& p = j.parallel;
  const double m = static_cast<double>(j.micro_batches());
  const double compute = ComputeS(j);
  double bubble_share = (p.pp - 1) / (m * p.vpp);
  if (p.schedule == ScheduleKind::kZbH1) bubble_share /= 3;
  const double bubble = compute * bubble_share;
  const double params = static_cast<double>(CountParams(j.model).total());
  const double tp_comm = p.tp > 1 ? compute * 0.04 * (p.tp - 1) / p.tp * (p.sp ? 0.9 : 1.0) : 0;
  const double dp_comm = p.dp > 1 ? 2 * params / (p.tp * p.pp) * 2 / 100e9 * (p.zero >= 3 ? 1.5 : 1.0) : 0;
  const double cp_comm = p.cp > 1 ? compute * 0.03 : 0;
  PlanScore s;
  s.breakdown = {{"compute", compute}, {"bubble", bubble}, {"tp_comm", tp_comm}, {"dp_comm", dp_comm * 0.3},
                 {"cp_comm", cp_comm}};
  s.step_time_s = compute + bubble + tp_comm + 0.3 * dp_comm + cp_comm;
  s.exposed_comm_s = tp_comm + 0.3 * dp_comm + cp_comm;
  s.bubble_fraction = bubble / s.step_time_s;
  s.tokens_per_s = j.training.global_batch * j.training.seq / s.step_time_s;
  s.mfu = MfuOf(j, s.step_time_s);
  return s;
}

int64_t PeakBytes(const Job& j) {
  const ParallelConfig& p = j.parallel;
  const double params = static_cast<double>(CountParams(j.model).total()) * MaxStageLayers(j) / j.model.num_layers /
                        p.tp;
  const double states = params * (2 + (p.zero >= 2 ? 4.0 / p.dp : 4.0) + (p.zero >= 1 ? 12.0 / p.dp : 12.0));
  const double per_layer = 34.0 * j.training.seq * j.training.micro_batch * j.model.hidden / p.cp /
                           (p.sp ? p.tp : 1) *
                           (p.recompute == Recompute::kFull ? 0.06 : p.recompute == Recompute::kSelective ? 0.7 : 1);
  const double inflight = p.schedule == ScheduleKind::kGPipe ? static_cast<double>(j.micro_batches())
                                                             : std::min<double>(p.pp, j.micro_batches());
  return static_cast<int64_t>(states + per_layer * MaxStageLayers(j) * inflight + 2e9);
}

}  // namespace

Evaluator SyntheticEvaluator() {
  Evaluator e;
  e.peak_memory_bytes = PeakBytes;
  e.step_time_lower_bound_s = ComputeS;
  e.simulate = [](const Job& j) {
    PlanScore s = Simulate(j);
    s.peak_bytes = PeakBytes(j);
    return s;
  };
  return e;
}

}  // namespace parallax
