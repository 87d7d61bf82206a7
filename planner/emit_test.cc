// Framework exports: only documented flag / key names (lists below are copied
// from Megatron-LM's arguments.py, torchtitan's job_config.py and DeepSpeed's
// config-json page), and values that reproduce the plan: uneven stages as
// first/last layer counts, virtual stages, batch arithmetic, ZeRO stage.
#include "planner/emit.h"

#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "core/validate.h"

namespace parallax {
namespace {

Job Llama405b() {
  Job j;
  j.model = ResolveModel("llama3-405b");
  j.cluster = ResolveCluster("dgx-h100");
  j.training.global_batch = 2048;
  j.training.seq = 8192;
  ParallelConfig& p = j.parallel;
  p.tp = 8, p.pp = 16, p.dp = 128, p.zero = 1, p.sp = true, p.recompute = Recompute::kSelective;
  p.stage_layers = std::vector<int>(16, 8);
  p.stage_layers.front() = 7;
  p.stage_layers.back() = 7;
  ValidateJob(j);
  return j;
}

std::set<std::string> Flags(const std::string& text) {
  std::set<std::string> out;
  std::regex flag("(^|\\s)(--[a-z0-9-]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag); it != std::sregex_iterator(); ++it) {
    out.insert((*it)[2]);
  }
  return out;
}

std::string ValueOf(const std::string& text, const std::string& flag) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(flag + " (\\S+)"))) return m[1];
  return "";
}

TEST(EmitMegatron, UsesOnlyDocumentedArgumentsAndCarriesTheUnevenSplit) {
  const std::string out = EmitMegatron(Llama405b());
  const std::set<std::string> documented = {
      "--num-layers", "--hidden-size", "--ffn-hidden-size", "--num-attention-heads", "--group-query-attention",
      "--num-query-groups", "--swiglu", "--normalization", "--position-embedding-type",
      "--untie-embeddings-and-output-weights", "--disable-bias-linear", "--num-experts", "--moe-router-topk",
      "--seq-length", "--max-position-embeddings", "--tensor-model-parallel-size", "--pipeline-model-parallel-size",
      "--context-parallel-size", "--expert-model-parallel-size", "--decoder-first-pipeline-num-layers",
      "--decoder-last-pipeline-num-layers", "--num-virtual-stages-per-pipeline-rank",
      "--num-layers-per-virtual-pipeline-stage", "--sequence-parallel", "--use-distributed-optimizer",
      "--recompute-granularity", "--recompute-method", "--recompute-num-layers", "--micro-batch-size",
      "--global-batch-size", "--bf16", "--fp16", "--use-flash-attn", "--overlap-grad-reduce",
      "--overlap-p2p-communication"};
  for (const auto& f : Flags(out)) EXPECT_TRUE(documented.count(f)) << f;
  EXPECT_EQ(ValueOf(out, "--tensor-model-parallel-size"), "8");
  EXPECT_EQ(ValueOf(out, "--pipeline-model-parallel-size"), "16");
  EXPECT_EQ(ValueOf(out, "--decoder-first-pipeline-num-layers"), "7");
  EXPECT_EQ(ValueOf(out, "--decoder-last-pipeline-num-layers"), "7");
  EXPECT_EQ(ValueOf(out, "--recompute-granularity"), "selective");
  EXPECT_EQ(ValueOf(out, "--num-query-groups"), "8");
  EXPECT_EQ(ValueOf(out, "--global-batch-size"), "2048");
  EXPECT_TRUE(Flags(out).count("--sequence-parallel"));
  EXPECT_TRUE(Flags(out).count("--use-distributed-optimizer"));
  EXPECT_FALSE(Flags(out).count("--num-layers-per-virtual-pipeline-stage"));
  EXPECT_TRUE(Flags(out).count("--overlap-grad-reduce"));  // what the simulation assumed
  Job after_backward = Llama405b();
  after_backward.parallel.overlap_grad_reduce = false;
  EXPECT_FALSE(Flags(EmitMegatron(after_backward)).count("--overlap-grad-reduce"));
}

TEST(EmitMegatron, InterleavedEvenSplitGivesLayersPerVirtualStage) {
  Job j = Llama405b();
  j.model.num_layers = 128;
  j.parallel.stage_layers.clear();
  j.parallel.vpp = 4;
  j.parallel.schedule = ScheduleKind::kInterleaved;
  j.parallel.recompute = Recompute::kFull;
  const std::string out = EmitMegatron(j);
  EXPECT_EQ(ValueOf(out, "--num-layers-per-virtual-pipeline-stage"), "2");  // 128 / (16 x 4)
  EXPECT_EQ(ValueOf(out, "--recompute-granularity"), "full");
  EXPECT_EQ(ValueOf(out, "--recompute-method"), "uniform");
  EXPECT_EQ(ValueOf(out, "--recompute-num-layers"), "1");
  Job partial = j;
  partial.parallel.recompute_layers = 1;  // the first layer of each 2-layer chunk
  EXPECT_EQ(ValueOf(EmitMegatron(partial), "--recompute-method"), "block");
  EXPECT_EQ(ValueOf(EmitMegatron(partial), "--recompute-num-layers"), "1");
  partial.parallel.recompute_layers = 2;
  EXPECT_EQ(ValueOf(EmitMegatron(partial), "--recompute-num-layers"), "2");
  EXPECT_FALSE(Flags(out).count("--decoder-first-pipeline-num-layers"));
  EXPECT_TRUE(Flags(out).count("--overlap-p2p-communication"));  // the simulation overlapped the exchanges
  j.parallel.overlap_p2p = false;
  EXPECT_FALSE(Flags(EmitMegatron(j)).count("--overlap-p2p-communication"));
  EXPECT_FALSE(Flags(EmitMegatron(Llama405b())).count("--overlap-p2p-communication"));  // 1F1B
}

TEST(EmitTorchtitan, DegreesMultiplyToTheGpusAndPartsCoverEveryLayerOnce) {
  Job j = Llama405b();
  const std::string out = EmitTorchtitan(j);
  const std::set<std::string> documented = {
      "data_parallel_replicate_degree", "data_parallel_shard_degree", "tensor_parallel_degree",
      "pipeline_parallel_degree", "context_parallel_degree", "expert_parallel_degree", "pipeline_parallel_schedule",
      "pipeline_parallel_microbatch_size", "module_fqns_per_model_part", "fsdp_reshard_after_forward", "mode",
      "local_batch_size", "global_batch_size", "seq_len"};
  std::istringstream in(out);
  std::string line;
  int64_t product = 1;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, std::regex("([a-z_]+) = (.*)"))) {
      EXPECT_TRUE(documented.count(m[1])) << m[1];
      // Expert parallel is carved out of the data-parallel ranks, not multiplied in.
      const std::string key = m[1];
      if (key.find("_degree") != std::string::npos && key != "expert_parallel_degree") product *= std::stoll(m[2]);
    }
  }
  EXPECT_EQ(product, j.parallel.gpus());
  EXPECT_NE(out.find("pipeline_parallel_schedule = \"1F1B\""), std::string::npos);
  EXPECT_NE(out.find("mode = \"selective\""), std::string::npos);
  for (int l = 0; l < 126; ++l) {
    const std::string name = "\"layers." + std::to_string(l) + "\"";
    const size_t at = out.find(name);
    ASSERT_NE(at, std::string::npos) << name;
    EXPECT_EQ(out.find(name, at + 1), std::string::npos) << name;
  }
  EXPECT_EQ(out.find("\"layers.126\""), std::string::npos);
  // First part: embedding + 7 layers.
  EXPECT_NE(out.find("[\"tok_embeddings\", \"layers.0\", \"layers.1\", \"layers.2\", \"layers.3\", \"layers.4\", "
                     "\"layers.5\", \"layers.6\"],"),
            std::string::npos);
  EXPECT_NE(out.find("\"layers.125\", \"norm\", \"output\"]"), std::string::npos);
}

TEST(EmitDeepspeed, BatchArithmeticAndZeroStage) {
  Job j;
  j.model = ResolveModel("gpt-1.3b");
  j.cluster = ResolveCluster("dgx-h100");
  j.training.global_batch = 512;
  j.training.seq = 2048;
  j.training.micro_batch = 4;
  j.parallel.dp = 16;
  j.parallel.zero = 3;
  const auto cfg = nlohmann::json::parse(EmitDeepspeed(j));
  const std::set<std::string> documented = {"train_batch_size", "train_micro_batch_size_per_gpu",
                                            "gradient_accumulation_steps", "bf16", "fp16", "zero_optimization"};
  for (const auto& [k, v] : cfg.items()) EXPECT_TRUE(documented.count(k)) << k;
  EXPECT_EQ(cfg["train_batch_size"], 512);
  // DeepSpeed requires train_batch_size = micro batch x accumulation steps x data-parallel size.
  EXPECT_EQ(cfg["train_micro_batch_size_per_gpu"].get<int>() * cfg["gradient_accumulation_steps"].get<int>() * 16, 512);
  EXPECT_EQ(cfg["zero_optimization"]["stage"], 3);
  EXPECT_EQ(cfg["bf16"]["enabled"], true);
}

}  // namespace
}  // namespace parallax
