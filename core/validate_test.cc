// Every configuration rule fails with its one-line message, and good
// configurations (including Llama-3 405B's uneven 126-layer split) pass.
#include "core/validate.h"

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/errors.h"
#include "core/model_io.h"

namespace parallax {
namespace {

Job Make(const std::string& model, int tp, int pp, int dp, int64_t gbs = 512, int64_t mbs = 1) {
  Job j;
  j.model = ResolveModel(model);
  j.cluster = ResolveCluster("dgx-h100");
  j.training.global_batch = gbs;
  j.training.seq = 2048;
  j.training.micro_batch = mbs;
  j.parallel.tp = tp;
  j.parallel.pp = pp;
  j.parallel.dp = dp;
  return j;
}

std::string ErrorOf(const Job& j) {
  try {
    ValidateJob(j);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(Validate, GoodConfigurations) {
  EXPECT_EQ(ErrorOf(Make("gpt-1.3b", 2, 2, 2)), "");
  Job llama = Make("llama3-405b", 8, 16, 128, 2048);
  llama.training.seq = 8192;
  // Meta's split: 126 layers over 16 stages, the first and last a layer lighter.
  llama.parallel.stage_layers = {7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7};
  EXPECT_EQ(ErrorOf(llama), "");
}

TEST(Validate, EachRuleHasItsMessage) {
  EXPECT_EQ(ErrorOf(Make("gpt-1.3b", 3, 1, 1)), "--tp: must divide the number of attention heads (16), got 3");
  EXPECT_EQ(ErrorOf(Make("llama3-8b", 16, 1, 1)),
            "--tp: must divide the number of KV heads (8, grouped-query attention), got 16");
  EXPECT_EQ(ErrorOf(Make("gpt-1.3b", 1, 5, 1)),
            "--pp: layers (24) must split evenly over pp x vpp (5); give an explicit --stage-layers map for an uneven split");
  EXPECT_EQ(ErrorOf(Make("gpt-1.3b", 1, 1, 3)), "--gbs: global batch (512) must be divisible by dp x mbs (3 x 1)");
  Job j = Make("gpt-1.3b", 1, 2, 1);
  j.parallel.stage_layers = {10, 10};
  EXPECT_EQ(ErrorOf(j), "--stage-layers: must add up to the model's layers (24), got 20");
  j.parallel.stage_layers = {24};
  EXPECT_EQ(ErrorOf(j), "--stage-layers: must list one layer count per pipeline stage (2), got 1");
  j = Make("gpt-1.3b", 2, 1, 1);
  j.training.activation_layout = ActivationLayout::kParallaxGpu;
  EXPECT_EQ(ErrorOf(j),
            "--plan: training.activation_layout: parallax-gpu describes the gpu backend, which runs tp = pp = cp = ep = 1 "
            "and recompute none");
  j.parallel.tp = 1;
  EXPECT_EQ(ErrorOf(j), "");
  j = Make("gpt-1.3b", 1, 2, 1);
  j.parallel.vpp = 2;
  EXPECT_EQ(ErrorOf(j), "--vpp: virtual stages need --schedule interleaved");
  j.parallel.schedule = ScheduleKind::kInterleaved;
  j.training.global_batch = 3;
  EXPECT_EQ(ErrorOf(j), "--gbs: interleaved schedule needs micro-batches per step (3) divisible by pp (2)");
  j.training.global_batch = 4;
  EXPECT_EQ(ErrorOf(j), "");
  j.parallel.overlap_p2p = false;  // Megatron-LM: blocking interleaved exchanges need pp > 2
  EXPECT_EQ(ErrorOf(j), "--schedule: interleaved with blocking p2p (overlap_p2p false) needs --pp >= 3");
  j = Make("gpt-1.3b", 1, 1, 1);
  j.parallel.recompute_layers = 2;
  EXPECT_EQ(ErrorOf(j), "--recompute-layers: recomputes some layers of each chunk in full: needs --recompute full");
  j.parallel.recompute = Recompute::kFull;
  EXPECT_EQ(ErrorOf(j), "");
  j.parallel.recompute_layers = -1;
  EXPECT_EQ(ErrorOf(j), "--recompute-layers: must be >= 0");
  j = Make("gpt-1.3b", 1, 1, 1);
  j.parallel.schedule = ScheduleKind::kZbH1;
  EXPECT_EQ(ErrorOf(j), "--schedule: zb-h1 needs --pp >= 2");
  j = Make("gpt-1.3b", 1, 1, 1);
  j.parallel.sp = true;
  EXPECT_EQ(ErrorOf(j), "--sp: sequence parallel needs --tp > 1");
  j = Make("gpt-1.3b", 1, 1, 1);
  j.parallel.ep = 2;
  EXPECT_EQ(ErrorOf(j), "--ep: expert parallel needs an MoE model");
  j = Make("mixtral-8x7b", 1, 1, 6, 6 * 4);
  j.parallel.ep = 3;
  EXPECT_EQ(ErrorOf(j), "--ep: must divide the number of experts (8), got 3");
  j = Make("gpt-1.3b", 1, 2, 4);
  j.parallel.zero = 3;
  EXPECT_NE(ErrorOf(j).find("--zero: ZeRO-2/3"), std::string::npos);
  j = Make("gpt-1.3b", 1, 1, 1);
  j.training.seq = 4096;
  EXPECT_EQ(ErrorOf(j), "--seq: must be at most the model's max_seq (2048), got 4096");
  j = Make("gpt-1.3b", 1, 1, 32768, 32768);
  EXPECT_EQ(ErrorOf(j), "--gpus: tp x pp x dp x cp = 32768 is more than cluster dgx-h100 has (16384)");
  j = Make("gpt-1.3b", 1, 1, 1);
  j.parallel.cp = 3;
  EXPECT_EQ(ErrorOf(j), "--cp: sequence (2048) must be divisible by 2 x cp (load-balanced causal context parallel)");
}

TEST(Validate, TensorParallelAcrossNodesWarns) {
  const auto warnings = ValidateJob(Make("gpt-1.3b", 16, 1, 1));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("spans more than one node"), std::string::npos);
}

}  // namespace
}  // namespace parallax
