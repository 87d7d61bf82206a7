// The real evaluator: simulator/memory_model.h's EstimateMemory for the peak,
// simulator/simulate.h's EstimateStepTimeLowerBound and Simulate for time.
#pragma once

#include "planner/evaluator.h"

namespace parallax {

Evaluator SimulatorEvaluator();
const char* SimulatorEvaluatorName();  // what it wires, for benchmark output

}  // namespace parallax
