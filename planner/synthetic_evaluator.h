// A closed-form stand-in for the memory model and simulator, for tests of the
// search only: memory = model states by ZeRO + activations of the most loaded
// stage by recompute / sp / cp / in-flight micro-batches; time = compute with
// stage imbalance + bubble by schedule + tp / dp communication. Its lower
// bound is the compute time of the most loaded stage (never above the time). Not a cost model:
// it exists so the search can be checked against an exhaustive search.
#pragma once

#include "planner/evaluator.h"

namespace parallax {

Evaluator SyntheticEvaluator();

}  // namespace parallax
