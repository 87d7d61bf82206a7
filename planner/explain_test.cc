// Explanations name the breakdown terms that differ most and the
// configuration fields that changed, and skip repeats of the same plan.
#include "planner/explain.h"

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/model_io.h"

namespace parallax {
namespace {

RankedPlan Plan(int pp, int64_t mbs, std::map<std::string, double> breakdown) {
  RankedPlan p;
  p.job.model = ResolveModel("gpt-1.3b");
  p.job.cluster = ResolveCluster("dgx-h100");
  p.job.training.global_batch = 64;
  p.job.training.seq = 2048;
  p.job.training.micro_batch = mbs;
  p.job.parallel.pp = pp;
  p.job.parallel.dp = 8 / pp;
  p.score.breakdown = breakdown;
  for (const auto& [k, v] : breakdown) p.score.step_time_s += v;
  return p;
}

TEST(Explain, NamesTheLargestDifferencesAndTheChangedFields) {
  std::vector<RankedPlan> plans = {Plan(2, 1, {{"compute", 1.0}, {"bubble", 0.10}, {"dp_comm", 0.05}}),
                                   Plan(2, 1, {{"compute", 1.0}, {"bubble", 0.10}, {"dp_comm", 0.05}}),
                                   Plan(4, 2, {{"compute", 0.98}, {"bubble", 0.40}, {"dp_comm", 0.02}})};
  const auto lines = ExplainRanking(plans);
  ASSERT_EQ(lines.size(), 1u);  // #2 is the same configuration as #1
  const std::string& l = lines[0];
  EXPECT_EQ(l.rfind("#3 is 21.7% slower", 0), 0u) << l;  // 1.40 / 1.15
  EXPECT_NE(l.find("pp 2 -> 4"), std::string::npos) << l;
  EXPECT_NE(l.find("mbs 1 -> 2"), std::string::npos) << l;
  EXPECT_NE(l.find(": bubble +0.300 s, dp_comm -0.030 s, compute -0.020 s"), std::string::npos) << l;
}

TEST(Explain, StageMapLabelCompressesRuns) {
  Job j;
  j.model = ResolveModel("llama3-405b");
  j.parallel.pp = 16;
  j.parallel.stage_layers = std::vector<int>(16, 8);
  j.parallel.stage_layers.front() = 7;
  j.parallel.stage_layers.back() = 7;
  EXPECT_EQ(StageMapLabel(j), "7,8x14,7");
}

}  // namespace
}  // namespace parallax
