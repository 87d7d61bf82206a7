// What the planner asks of a model of training: per-GPU peak memory, a fast
// lower bound on step time, and the full simulation of one configuration.
// The search is written against this interface so that it can be tested with
// closed-form evaluators; SimulatorEvaluator() (simulator_evaluator.h) wires
// the real memory model and simulator.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/config.h"

namespace parallax {

// The simulated numbers the planner ranks and prints for one configuration.
struct PlanScore {
  double step_time_s = 0;
  double tokens_per_s = 0;
  double mfu = 0;
  double bubble_fraction = 0;
  double exposed_comm_s = 0;               // communication not hidden behind compute
  std::map<std::string, double> breakdown;  // seconds by kind (compute, tp_comm, dp_comm, pp_comm, bubble, ...)
  int64_t peak_bytes = 0;                   // per GPU, the most loaded stage
};

struct Evaluator {
  // Analytic per-GPU peak memory (the most loaded stage). Cheap.
  std::function<int64_t(const Job&)> peak_memory_bytes;
  // Optional, cheaper still: never above peak_memory_bytes. Over the limit
  // means rejected without calling peak_memory_bytes.
  std::function<int64_t(const Job&)> peak_memory_lower_bound_bytes;
  // Never above simulate(job).step_time_s. Cheap. Drives branch and bound.
  std::function<double(const Job&)> step_time_lower_bound_s;
  // The full model. Expensive; called only for plans that may enter the top K.
  std::function<PlanScore(const Job&)> simulate;
};

}  // namespace parallax
