// The optimizer's data-parallel forms: ZeRO-1 (reduce-scatter, shard update,
// all-gather) gives the parameters of plain DP (all-reduce, full update);
// clipping brings the global norm to max_grad_norm; weight decay touches
// matrices only; warm-up scales the learning rate linearly.
#include "runtime/optimizer.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/test_models.h"

namespace parallax {
namespace {

// Runs `steps` optimizer steps on dp ranks with per-rank random gradients;
// returns every rank's parameters.
std::vector<std::vector<float>> RunDp(const ModelLayout& layout, int dp, int zero, int buckets, int steps,
                                      const OptimizerConfig& cfg) {
  std::vector<std::vector<float>> params(dp);
  auto comms = MakeLoopbackGroup(dp);
  RunRanks(comms, [&](Communicator& c) {
    auto& p = params[c.rank()];
    p.resize(layout.padded_size);
    InitParams(layout, 3, p.data());
    Optimizer opt(layout, cfg, MakeSharding(layout.padded_size, dp, c.rank(), zero, buckets));
    std::mt19937 gen(100 + c.rank());
    std::normal_distribution<float> noise(0.0f, 0.05f);
    std::vector<float> g(layout.padded_size, 0.0f);
    for (int s = 0; s < steps; ++s) {
      for (int64_t i = 0; i < layout.num_params; ++i) g[i] = noise(gen) / dp;
      for (int b = 0; b < buckets; ++b) opt.ReduceGrads(c, g.data(), b);
      opt.Step(c, p.data(), g.data());
      if (zero == 1)
        for (int b = 0; b < buckets; ++b) opt.GatherParams(c, p.data(), b);
    }
  });
  return params;
}

TEST(Optimizer, Zero1MatchesPlainDataParallel) {
  OptimizerConfig cfg;
  cfg.adamw.lr = 1e-2f;
  cfg.max_grad_norm = 0.5;  // active: the random gradients have norm > 0.5
  for (int dp : {2, 3, 4}) {
    for (int buckets : {1, 3}) {
      const ModelLayout layout = BuildLayout(testing::LlamaTiny(), dp * buckets);
      const auto plain = RunDp(layout, dp, 0, buckets, 4, cfg);
      const auto zero1 = RunDp(layout, dp, 1, buckets, 4, cfg);
      for (int r = 0; r < dp; ++r)
        for (int64_t i = 0; i < layout.num_params; ++i) {
          ASSERT_NEAR(zero1[r][i], plain[0][i], 1e-6) << "dp " << dp << " buckets " << buckets << " rank " << r;
          ASSERT_EQ(plain[r][i], plain[0][i]);
        }
    }
  }
}

TEST(Optimizer, ClipsToMaxNormAcrossShards) {
  const ModelLayout layout = BuildLayout(testing::GptTiny(), 2);
  OptimizerConfig cfg;
  cfg.max_grad_norm = 1.0;
  std::vector<double> sumsq(2), norm(2);
  auto comms = MakeLoopbackGroup(2);
  RunRanks(comms, [&](Communicator& c) {
    std::vector<float> p(layout.padded_size), g(layout.padded_size, 0.0f);
    for (int64_t i = 0; i < layout.num_params; ++i) g[i] = 0.5f * ((i % 3) - 1.0f);  // same on both ranks
    Optimizer opt(layout, cfg, MakeSharding(layout.padded_size, 2, c.rank(), 1));
    opt.ReduceGrads(c, g.data(), 0);
    norm[c.rank()] = opt.Step(c, p.data(), g.data());
    const Range s = MakeSharding(layout.padded_size, 2, c.rank(), 1).shard(0);
    for (int64_t i = s.begin; i < s.end; ++i) sumsq[c.rank()] += double(g[i]) * g[i];
  });
  // Reduced gradient 2 x 0.5 x {-1, 0, 1}: two thirds of the entries have |g| = 1.
  double expected = 0;
  for (int64_t i = 0; i < layout.num_params; ++i) expected += (i % 3 == 1) ? 0 : 1;
  EXPECT_NEAR(norm[0], std::sqrt(expected), 1e-3 * std::sqrt(expected));
  EXPECT_NEAR(std::sqrt(sumsq[0] + sumsq[1]), 1.0, 1e-5);
}

TEST(Optimizer, WeightDecayOnMatricesOnly) {
  const ModelLayout layout = BuildLayout(testing::GptTiny());
  OptimizerConfig cfg;
  cfg.adamw.lr = 0.1f;
  cfg.adamw.weight_decay = 0.5f;
  std::vector<float> p(layout.padded_size, 2.0f), g(layout.padded_size, 0.0f);
  auto comms = MakeLoopbackGroup(1);
  Optimizer opt(layout, cfg, MakeSharding(layout.padded_size, 1, 0, 0));
  opt.Step(*comms[0], p.data(), g.data());
  for (const ParamTensor& t : layout.tensors) {
    // Zero gradient: only decay moves p, by lr x wd x p = 0.1 (matrices).
    const float want = t.cols > 1 ? 2.0f - 0.1f * 0.5f * 2.0f : 2.0f;
    EXPECT_FLOAT_EQ(p[t.offset], want) << t.name;
  }
}

TEST(Optimizer, LinearWarmup) {
  const ModelLayout layout = BuildLayout(testing::GptTiny());
  OptimizerConfig cfg;
  cfg.adamw.lr = 1.0f;
  cfg.warmup_steps = 4;
  std::vector<float> p(layout.padded_size), g(layout.padded_size);
  auto comms = MakeLoopbackGroup(1);
  Optimizer opt(layout, cfg, MakeSharding(layout.padded_size, 1, 0, 0));
  std::vector<float> lrs;
  for (int s = 0; s < 6; ++s) {
    lrs.push_back(opt.lr());
    opt.Step(*comms[0], p.data(), g.data());
  }
  EXPECT_EQ(lrs, (std::vector<float>{0.25f, 0.5f, 0.75f, 1.0f, 1.0f, 1.0f}));
}

}  // namespace
}  // namespace parallax
