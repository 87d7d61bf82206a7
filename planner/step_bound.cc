// Planner step-time bound: compute stream or ZeRO-3 gathers on the DP stream.
#include "planner/step_bound.h"

#include <algorithm>
#include <cstdint>

#include "simulator/memory_model.h"
#include "simulator/simulate.h"

namespace parallax {

double Zero3GatherSeconds(const Job& job, const CostModel& cm) {
  const ParallelConfig& p = job.parallel;
  if (p.zero < 3 || p.dp < 2) return 0;
  const std::vector<int> stage_layers = job.StageLayers();
  const double gathers = 2.0 * static_cast<double>(job.micro_batches()) * p.vpp;  // one per F and per B / BI
  double busiest = 0;
  for (int s = 0; s < p.pp; ++s) {
    // One chunk's parameters in bytes, sized as Simulate sizes its gathers.
    const StageParams sp = ParamsOnStage(job, stage_layers, s);
    const auto bytes = static_cast<int64_t>((sp.dense + sp.expert) / p.vpp * cm.ParamBytesPerParam());
    busiest = std::max(busiest, gathers * cm.DpTime(OpKind::kParamAllGather, bytes));
  }
  return busiest;
}

double PlannerStepTimeLowerBound(const Job& job, const CostParams& params) {
  const double compute = EstimateStepTimeLowerBound(job, params);
  if (job.parallel.zero < 3 || job.parallel.dp < 2) return compute;
  const CostModel cm(job, params);
  // The gathers' sum is taken as a product: shave a relative 1e-12 so that
  // rounding can never lift the bound above the simulated step.
  return std::max(compute, Zero3GatherSeconds(job, cm) * (1 - 1e-12) + params.step_overhead_s);
}

}  // namespace parallax
