// Wiring of the memory model and simulator into the planner's Evaluator:
// peak = EstimatePeakBytes (EstimateMemory's peak, string-free; with the
// model-state/activation lower bound first), bound = PlannerStepTimeLowerBound
// (EstimateStepTimeLowerBound or the ZeRO-3 gathers), simulate = Simulate; exposed
// communication = the breakdown's tp, cp, ep, pp and dp communication.
#include "planner/simulator_evaluator.h"

#include "planner/memory_bound.h"
#include "planner/step_bound.h"
#include "simulator/memory_model.h"
#include "simulator/simulate.h"

namespace parallax {

Evaluator SimulatorEvaluator() {
  Evaluator e;
  e.peak_memory_bytes = EstimatePeakBytes;
  e.peak_memory_lower_bound_bytes = PeakMemoryLowerBoundBytes;
  e.step_time_lower_bound_s = [](const Job& job) { return PlannerStepTimeLowerBound(job); };
  e.simulate = [](const Job& job) {
    const SimResult r = Simulate(job);
    PlanScore s;
    s.step_time_s = r.step_time_s;
    s.tokens_per_s = r.tokens_per_s;
    s.mfu = r.mfu;
    s.bubble_fraction = r.bubble_fraction;
    const StepBreakdown& b = r.breakdown;
    s.exposed_comm_s = b.tp_comm_s + b.cp_comm_s + b.ep_comm_s + b.pp_comm_s + b.dp_comm_s;
    s.breakdown = b.ByName();
    s.peak_bytes = EstimatePeakBytes(job);
    return s;
  };
  return e;
}

const char* SimulatorEvaluatorName() {
  return "EstimatePeakBytes (+ model-state/activation bound) / PlannerStepTimeLowerBound (compute stream or ZeRO-3 gathers) / Simulate";
}

}  // namespace parallax
