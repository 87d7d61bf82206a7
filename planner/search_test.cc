// The search against an exhaustive reference written here (simulate every
// configuration that fits, sort): the same top K for each objective, with
// fewer simulations; thread-count independence; memory headroom; the
// no-fit report; a batch no split can serve.
#include "planner/search.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/errors.h"
#include "core/model_io.h"
#include "planner/synthetic_evaluator.h"

namespace parallax {
namespace {

Job BaseJob(const std::string& model, int64_t gbs, int64_t seq) {
  Job job;
  job.model = ResolveModel(model);
  job.cluster = ResolveCluster("dgx-a100-80g");
  job.training.global_batch = gbs;
  job.training.seq = seq;
  return job;
}

SearchOptions SmallOptions(std::vector<int> gpus) {
  SearchOptions o;
  o.space.gpus = std::move(gpus);
  o.space.cp = {1, 2};
  o.space.max_vpp = 3;
  o.space.micro_batches = {1, 2, 4};
  o.top_k = 6;
  return o;
}

struct Ref {
  std::vector<int64_t> indices;
  std::vector<ObjectiveKey> keys;
  int64_t fitting = 0;
};

Ref Exhaustive(const Job& base, const SearchOptions& o, const Evaluator& ev) {
  const Space space = EnumerateSpace(base, o.space);
  const int64_t limit = static_cast<int64_t>(o.max_memory_frac * base.cluster.gpu.memory_bytes);
  std::vector<std::pair<ObjectiveKey, int64_t>> all;
  Ref ref;
  Job j = base;
  for (size_t i = 0; i < space.candidates.size(); ++i) {
    ApplyCandidate(space, space.candidates[i], &j);
    if (ev.peak_memory_bytes(j) > limit) continue;
    ++ref.fitting;
    const double t = ev.simulate(j).step_time_s;
    if (o.objective == Objective::kFewestGpus && t > o.time_budget_s) continue;
    all.push_back({KeyOf(o.objective, j, t), static_cast<int64_t>(i)});
  }
  std::sort(all.begin(), all.end());
  for (size_t k = 0; k < all.size() && static_cast<int>(k) < o.top_k; ++k) {
    ref.keys.push_back(all[k].first);
    ref.indices.push_back(all[k].second);
  }
  return ref;
}

void ExpectSameTopK(const Job& base, const SearchOptions& o) {
  const Evaluator ev = SyntheticEvaluator();
  const Ref ref = Exhaustive(base, o, ev);
  const SearchResult r = Search(base, o, ev);
  ASSERT_EQ(r.plans.size(), ref.indices.size());
  ASSERT_FALSE(r.plans.empty());
  for (size_t k = 0; k < r.plans.size(); ++k) {
    EXPECT_EQ(r.plans[k].index, ref.indices[k]) << "rank " << k;
    EXPECT_EQ(r.plans[k].key, ref.keys[k]) << "rank " << k;
  }
  EXPECT_LT(r.simulated, ref.fitting) << "branch and bound pruned nothing";
  EXPECT_EQ(r.bound_violations, 0);
  SearchOptions no_bnb = o;
  no_bnb.branch_and_bound = false;
  const SearchResult all = Search(base, no_bnb, ev);
  if (o.objective == Objective::kFewestGpus) {
    EXPECT_LE(all.simulated, ref.fitting);  // bounds above the budget are never simulated
  } else {
    EXPECT_EQ(all.simulated, ref.fitting);
  }
  EXPECT_EQ(all.plans.size(), r.plans.size());
  for (size_t k = 0; k < r.plans.size(); ++k) EXPECT_EQ(all.plans[k].index, r.plans[k].index);
}

TEST(Search, FastestMatchesExhaustive) {
  ExpectSameTopK(BaseJob("gpt-1.3b", 64, 2048), SmallOptions({16}));
}

TEST(Search, FastestMatchesExhaustiveOverAGpuRange) {
  ExpectSameTopK(BaseJob("gpt-1.3b", 64, 2048), SmallOptions({8, 12, 16, 24, 32}));
}

TEST(Search, MfuMatchesExhaustive) {
  SearchOptions o = SmallOptions({8, 16, 32});
  o.objective = Objective::kMfu;
  ExpectSameTopK(BaseJob("gpt-1.3b", 64, 2048), o);
}

TEST(Search, FewestGpusMatchesExhaustive) {
  SearchOptions o = SmallOptions({4, 8, 16, 32});
  o.objective = Objective::kFewestGpus;
  const Job base = BaseJob("gpt-1.3b", 64, 2048);
  // A budget between the best times at 8 and at 32 GPUs.
  SearchOptions fast = SmallOptions({32});
  const double t32 = Search(base, fast, SyntheticEvaluator()).plans[0].score.step_time_s;
  o.time_budget_s = 2.5 * t32;
  ExpectSameTopK(base, o);
  const SearchResult r = Search(base, o, SyntheticEvaluator());
  for (const auto& p : r.plans) EXPECT_LE(p.score.step_time_s, o.time_budget_s);
  EXPECT_LT(r.plans[0].job.parallel.gpus(), 32);
}

TEST(Search, UnevenStagesMatchExhaustiveAndCanWin) {
  // 30 layers: pp 4 and pp 8 exist only with uneven (lighter-ends) maps.
  Job base = BaseJob("gpt-1.3b", 128, 2048);
  base.model.num_layers = 30;
  ExpectSameTopK(base, SmallOptions({64}));
  // 126 layers on a power-of-two GPU count: even splits allow pp 1 or 2 only (126 = 2 x 63).
  Job llama = BaseJob("llama3-405b", 256, 4096);
  SearchOptions o = SmallOptions({256});
  o.space.cp = {1};
  const SearchResult with = Search(llama, o, SyntheticEvaluator());
  o.space.uneven_stages = false;
  const SearchResult without = Search(llama, o, SyntheticEvaluator());
  ASSERT_FALSE(with.plans.empty());
  const auto layers = with.plans[0].job.StageLayers();
  EXPECT_TRUE(layers.front() < layers[1] || layers.back() < layers[1]) << "best plan should use lighter ends";
  // With pp <= 2 the 405B model's states do not fit 80 GiB at all: only uneven stages give a plan.
  EXPECT_TRUE(without.plans.empty());
  ASSERT_TRUE(without.no_fit.has_value());
  EXPECT_LE(without.no_fit->closest.parallel.pp, 2);
}

TEST(Search, OutputDoesNotDependOnThreads) {
  const Job base = BaseJob("gpt-1.3b", 64, 2048);
  SearchOptions o = SmallOptions({8, 16});
  o.threads = 1;
  const SearchResult one = Search(base, o, SyntheticEvaluator());
  o.threads = 3;
  const SearchResult three = Search(base, o, SyntheticEvaluator());
  ASSERT_EQ(one.plans.size(), three.plans.size());
  for (size_t k = 0; k < one.plans.size(); ++k) EXPECT_EQ(one.plans[k].index, three.plans[k].index);
  EXPECT_EQ(one.rejected, three.rejected);
  EXPECT_EQ(one.evaluated, three.evaluated);
}

TEST(Search, MemoryFractionLeavesHeadroom) {
  const Job base = BaseJob("llama2-13b", 64, 4096);
  SearchOptions o = SmallOptions({8});
  o.max_memory_frac = 0.5;
  const SearchResult r = Search(base, o, SyntheticEvaluator());
  ASSERT_FALSE(r.plans.empty());
  for (const auto& p : r.plans) EXPECT_LE(p.score.peak_bytes, 0.5 * base.cluster.gpu.memory_bytes);
  EXPECT_GT(r.rejected.count("memory: peak above 50% of GPU memory (40.0 GiB)"), 0u);
}

TEST(Search, NothingFitsGivesTheClosestPlanAndWhatWouldFit) {
  const Job base = BaseJob("llama3-405b", 32, 8192);
  SearchOptions o = SmallOptions({8});
  const SearchResult r = Search(base, o, SyntheticEvaluator());
  EXPECT_TRUE(r.plans.empty());
  ASSERT_TRUE(r.no_fit.has_value());
  EXPECT_GT(r.no_fit->peak_bytes, r.no_fit->limit_bytes);
  ASSERT_FALSE(r.no_fit->advice.empty());
  EXPECT_NE(r.no_fit->advice.back().find("more GPUs: the best split of"), std::string::npos);
  // The closest plan is the minimum over the space.
  const Evaluator ev = SyntheticEvaluator();
  const Space space = EnumerateSpace(base, o.space);
  Job j = base;
  for (const auto& c : space.candidates) {
    ApplyCandidate(space, c, &j);
    EXPECT_GE(ev.peak_memory_bytes(j), r.no_fit->peak_bytes);
  }
}

TEST(Search, ABatchNoSplitCanServeIsAOneLineError) {
  Job base = BaseJob("gpt-tiny", 1, 16);  // 2 heads-worth of tp, 2 layers, seq 16: dp >= 2 but gbs 1
  SearchOptions o = SmallOptions({64});
  o.space.cp = {1, 2, 4};
  try {
    Search(base, o, SyntheticEvaluator());
    FAIL();
  } catch (const SpecError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("--gbs: global batch not divisible by dp", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace parallax
