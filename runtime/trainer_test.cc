// End-to-end CPU training: data parallel over 2 and 4 thread-ranks gives the
// single-rank parameters for the same global batch, and so do pipelines run
// from the schedule generator's programs (GPipe, 1F1B, interleaved, ZB-H1,
// also combined with DP and ZeRO-1); ZeRO-1 gives plain DP's;
// m micro-batches of b sequences give one micro-batch of m x b; the loss on a
// real text file falls below the file's unigram (byte-frequency) entropy, the
// best loss a model without context could reach.
#include "runtime/trainer.h"

#include <cmath>
#include <iostream>
#include <map>

#include "gtest/gtest.h"
#include "runtime/test_models.h"

namespace parallax {
namespace {

TrainConfig Base() {
  TrainConfig c;
  c.model = testing::GptTiny();
  c.seq = 32;
  c.steps = 3;
  c.optimizer.adamw.lr = 1e-3f;
  c.peak_flops_per_s = 1e9;  // skip the GEMM calibration
  return c;
}

double MaxDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

TEST(Trainer, DataParallelMatchesSingleRank) {
  const TokenData data = SyntheticTokens(256, 1);
  TrainConfig single = Base();
  single.micro_batches = 4;
  const TrainResult ref = Train(single, data);
  for (int dp : {2, 4}) {
    TrainConfig c = Base();
    c.dp = dp;
    c.micro_batches = 4 / dp;
    const TrainResult r = Train(c, data);
    EXPECT_LT(MaxDiff(r.params, ref.params), 1e-5) << "dp " << dp;
    for (int s = 0; s < c.steps; ++s) EXPECT_NEAR(r.steps[s].loss, ref.steps[s].loss, 1e-5);
  }
  // The parameters did move (the comparison is not between two initial states).
  TrainConfig zero_steps = Base();
  zero_steps.optimizer.adamw.lr = 0;
  EXPECT_GT(MaxDiff(Train(zero_steps, data).params, ref.params), 1e-3);
}

TEST(Trainer, PipelineSchedulesMatchSingleRank) {
  const TokenData data = SyntheticTokens(256, 5);
  TrainConfig single = Base();
  single.model.num_layers = 4;
  single.micro_batches = 4;
  const TrainResult ref = Train(single, data);
  struct Case {
    ProgramSchedule schedule;
    int pp, vpp, dp, zero;
  };
  for (const Case& k : {Case{ProgramSchedule::kGPipe, 2, 1, 1, 0}, Case{ProgramSchedule::k1F1B, 2, 1, 1, 0},
                        Case{ProgramSchedule::k1F1B, 4, 1, 1, 0}, Case{ProgramSchedule::kInterleaved, 2, 2, 1, 0},
                        Case{ProgramSchedule::kZbH1, 2, 1, 1, 0}, Case{ProgramSchedule::k1F1B, 2, 1, 2, 1}}) {
    TrainConfig c = single;
    c.schedule = k.schedule;
    c.pp = k.pp;
    c.vpp = k.vpp;
    c.dp = k.dp;
    c.zero = k.zero;
    c.micro_batches = 4 / k.dp;
    const TrainResult r = Train(c, data);
    EXPECT_LT(MaxDiff(r.params, ref.params), 1e-5)
        << ProgramScheduleName(k.schedule) << " pp " << k.pp << " vpp " << k.vpp << " dp " << k.dp;
    EXPECT_NEAR(r.steps.back().loss, ref.steps.back().loss, 1e-5);
  }
}

TEST(Trainer, UnevenStageLayers) {
  const TokenData data = SyntheticTokens(256, 6);
  TrainConfig single = Base();
  single.model.num_layers = 3;
  single.micro_batches = 2;
  TrainConfig c = single;
  c.pp = 2;
  c.layers_per_stage = {1, 2};
  EXPECT_LT(MaxDiff(Train(c, data).params, Train(single, data).params), 1e-5);
  EXPECT_EQ(EvenLayerSplit(5, 2), (std::vector<int>{3, 2}));
}

TEST(Trainer, Zero1MatchesPlainDataParallel) {
  const TokenData data = SyntheticTokens(256, 2);
  for (int dp : {2, 4}) {
    for (int buckets : {1, 2}) {
      TrainConfig c = Base();
      c.dp = dp;
      c.micro_batches = 2;
      c.buckets = buckets;
      const TrainResult plain = Train(c, data);
      c.zero = 1;
      const TrainResult zero1 = Train(c, data);
      EXPECT_LT(MaxDiff(zero1.params, plain.params), 1e-5) << "dp " << dp << " buckets " << buckets;
    }
  }
}

TEST(Trainer, GradientAccumulationMatchesOneBigMicroBatch) {
  const TokenData data = SyntheticTokens(256, 3);
  TrainConfig accumulate = Base();
  accumulate.micro_batch = 1;
  accumulate.micro_batches = 4;
  TrainConfig big = Base();
  big.micro_batch = 4;
  big.micro_batches = 1;
  EXPECT_LT(MaxDiff(Train(accumulate, data).params, Train(big, data).params), 1e-5);
}

TEST(Trainer, LossFallsOnATextFile) {
  const TokenData data = LoadTokenFile("runtime/testdata/corpus.txt", 7);
  std::map<int, double> freq;
  for (int32_t t : data.tokens) freq[t] += 1.0 / data.tokens.size();
  double unigram = 0;
  for (const auto& [t, p] : freq) unigram -= p * std::log(p);

  TrainConfig c = Base();
  c.seq = 64;
  c.dp = 2;
  c.micro_batch = 4;
  c.steps = 150;
  c.optimizer.adamw.lr = 3e-3f;
  c.optimizer.warmup_steps = 10;
  c.log = &std::cout;
  const TrainResult r = Train(c, data);
  ASSERT_EQ(r.steps.size(), 150u);
  double last = 0;
  for (int s = 140; s < 150; ++s) last += r.steps[s].loss / 10;
  std::cout << "unigram entropy " << unigram << " nats, first loss " << r.steps[0].loss << ", last-10 mean " << last
            << "\n";
  EXPECT_NEAR(r.steps[0].loss, std::log(256.0), 0.1);
  EXPECT_LT(last, unigram - 0.2);
}

}  // namespace
}  // namespace parallax
