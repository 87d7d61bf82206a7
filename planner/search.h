// The planner's search: enumerate the space (space.h), reject configurations
// whose analytic peak memory exceeds the allowed fraction of GPU memory, then
// simulate in order of a step-time lower bound and stop as soon as the next
// bound cannot beat the current K-th plan (branch and bound). The result is
// the same top K an exhaustive search would give (tests check this), computed
// on threads with output that does not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "planner/evaluator.h"
#include "planner/objective.h"
#include "planner/space.h"

namespace parallax {

struct SearchOptions {
  SpaceOptions space;
  Objective objective = Objective::kFastest;
  double time_budget_s = 0;     // kFewestGpus: the step time a plan must meet
  int top_k = 5;
  double max_memory_frac = 1.0;  // a plan may use this fraction of GPU memory
  int threads = 0;               // 0: hardware concurrency
  bool branch_and_bound = true;  // false: simulate every fitting configuration
  std::function<void(double fraction_done)> progress;  // called from the calling thread
};

struct RankedPlan {
  Job job;
  PlanScore score;
  double lower_bound_s = 0;
  ObjectiveKey key;
  int64_t index = 0;  // position in the canonical enumeration (tie-break)
};

// When nothing fits: the plan closest to fitting and what would make it fit.
struct NoFit {
  Job closest;
  int64_t peak_bytes = 0;
  int64_t limit_bytes = 0;
  std::vector<std::string> advice;  // "recompute full: 61.2 GiB, fits", "more GPUs: fits from 32", ...
};

struct SearchResult {
  std::vector<RankedPlan> plans;  // best first
  int64_t space_size = 0;         // every configuration of the space
  int64_t valid = 0;              // passed the rules and were not duplicates
  int64_t evaluated = 0;          // judged analytically: memory (bound or model) and, if they fit, time bound
  int64_t memory_modeled = 0;     // of those, needed the full memory model (the rest failed its lower bound)
  int64_t simulated = 0;
  int64_t pruned_by_bound = 0;    // fit, but their lower bound could not beat the K-th plan
  int64_t bound_violations = 0;   // simulated time below the evaluator's bound (should be 0)
  std::map<std::string, int64_t> rejected;    // rules, memory and time budget, by reason
  std::map<std::string, int64_t> duplicates;  // symmetric duplicates, by kind
  std::optional<NoFit> no_fit;
  double search_time_s = 0;
};

// Throws SpecError when the request is impossible (see EnumerateSpace) or
// when the rules reject every configuration (a batch no split can serve).
SearchResult Search(const Job& base, const SearchOptions& options, const Evaluator& evaluator);

// Runs fn(i) for i in [0, n) on `threads` threads (0: hardware concurrency).
void ParallelFor(int64_t n, int threads, const std::function<void(int64_t i, int thread)>& fn);

}  // namespace parallax
