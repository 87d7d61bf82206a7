// The planner's step-time lower bound: the simulator's compute-stream bound
// (EstimateStepTimeLowerBound) or, when larger, the work a stage's
// data-parallel stream must do one after another. Under ZeRO-3 each forward
// and each backward (input half) of every chunk first gathers that chunk's
// parameters over DP (schedule.cc's parameter prefetch), all on the stage's
// one DP stream, so no step is shorter than 2 x m x vpp such gathers. This is
// what keeps pp-1 ZeRO-3 plans with thousands of DP ranks (tens of seconds of
// gathers, a compute bound of ~4 s) from being simulated.
#pragma once

#include "core/config.h"
#include "simulator/cost_model.h"

namespace parallax {

// Never above Simulate(job, params).step_time_s (step_bound_test sweeps the
// planner's llama3-405b space); never below EstimateStepTimeLowerBound.
double PlannerStepTimeLowerBound(const Job& job, const CostParams& params = {});

// Seconds the busiest stage's DP stream spends on ZeRO-3 parameter gathers (0
// without ZeRO-3 or without data parallelism).
double Zero3GatherSeconds(const Job& job, const CostModel& cm);

}  // namespace parallax
