// Wiring of the memory model and simulator into the planner's Evaluator.
// TEMPORARY until simulator/simulate.h lands: time from the synthetic evaluator.
#include "planner/simulator_evaluator.h"

#include "planner/memory_bound.h"
#include "planner/synthetic_evaluator.h"
#include "simulator/memory_model.h"

namespace parallax {

Evaluator SimulatorEvaluator() {
  Evaluator e = SyntheticEvaluator();
  e.peak_memory_bytes = [](const Job& job) { return EstimateMemory(job).peak_bytes; };
  e.peak_memory_lower_bound_bytes = PeakMemoryLowerBoundBytes;
  return e;
}

const char* SimulatorEvaluatorName() { return "EstimateMemory + synthetic time (simulate.h not landed)"; }

}  // namespace parallax
