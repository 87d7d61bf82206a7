// The planner's step-time bound against the simulator on the planner's own
// llama3-405b space (16,384 H100s, gbs 2048 x 8192): never above the simulated
// step, never below the simulator's compute-stream bound, and, for the ZeRO-3
// plans whose DP gathers dominate, within 2.25x of the simulated step (the
// gathers are most of the step; the gradient reduce-scatter, not counted and
// at 2 B vs 4 B per parameter worth about two gathers when m = 1,
// are the rest).
#include "planner/step_bound.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "planner/space.h"
#include "simulator/memory_model.h"
#include "simulator/simulate.h"

namespace parallax {
namespace {

Job Llama405b() {
  Job base;
  base.model = ResolveModel("llama3-405b");
  base.cluster = ResolveCluster("dgx-h100");
  base.training.global_batch = 2048;
  base.training.seq = 8192;
  return base;
}

TEST(PlannerStepBound, NeverAboveTheSimulationOnThePlannersSpace) {
  const Job base = Llama405b();
  SpaceOptions o;
  o.gpus = {16384};
  const Space space = EnumerateSpace(base, o);
  ASSERT_GT(space.candidates.size(), 100000u);
  Job j = base;
  int checked = 0, zero3 = 0, gather_bound = 0;
  // Every 97th valid configuration (a prime stride crosses every dimension), plus every
  // ZeRO-3 one with dp > 1 (those are where the bound differs from the compute bound).
  for (size_t i = 0; i < space.candidates.size(); ++i) {
    const Candidate& c = space.candidates[i];
    const bool z3 = c.zero == 3 && c.dp > 1;
    if (z3) ++zero3;
    if (i % 97 != 0 && !z3) continue;
    ApplyCandidate(space, c, &j);
    const double bound = PlannerStepTimeLowerBound(j);
    const double simulated = Simulate(j).step_time_s;
    const double compute_bound = EstimateStepTimeLowerBound(j);
    ASSERT_LE(bound, simulated) << "candidate " << i;
    ASSERT_GE(bound, compute_bound) << "candidate " << i;
    if (bound > compute_bound * 1.5) {
      ++gather_bound;
      EXPECT_LE(simulated, 2.25 * bound) << "candidate " << i;
    }
    ++checked;
  }
  EXPECT_GT(checked, 3000);
  std::printf("checked %d configurations (%d ZeRO-3 with dp > 1 in the space), %d bounded by the gathers\n", checked, zero3, gather_bound);
  EXPECT_GT(gather_bound, 10);  // the gathers do raise the bound somewhere
}

TEST(PlannerStepBound, GathersAreTwoPerMicroBatchAndChunk) {
  // pp 1, ZeRO-3, dp 2048: m = 1, one chunk: a forward and a backward gather of the
  // whole model (tp-sharded) over 2048 ranks, which the simulator runs back to back.
  Job j = Llama405b();
  j.parallel.tp = 8, j.parallel.dp = 2048, j.parallel.zero = 3;
  const CostModel cm(j);
  const double whole = (ParamsOnStage(j, 0).dense + ParamsOnStage(j, 0).expert) * cm.ParamBytesPerParam();
  const double one = cm.DpTime(OpKind::kParamAllGather, static_cast<int64_t>(whole));
  EXPECT_DOUBLE_EQ(Zero3GatherSeconds(j, cm), 2 * one);
  j.parallel.zero = 1;
  EXPECT_EQ(Zero3GatherSeconds(j, cm), 0);
}

}  // namespace
}  // namespace parallax
