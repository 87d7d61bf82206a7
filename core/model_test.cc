// Parameter and FLOP counts against published numbers: Narayanan et al. 2021
// Table 1's parameter column, Llama-2/3 and Mixtral model cards, the
// parameter counts PyTorch printed for the measured GPT runs, and the
// closed-form model-FLOP formula 72Bslh²(1 + s/6h + V/12lh).
#include "core/model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/model_io.h"

namespace parallax {
namespace {

TEST(ParamCount, NarayananTable1Column) {
  // (preset, billions as printed in the paper).
  const std::vector<std::pair<std::string, double>> rows = {
      {"narayanan-1.7b", 1.7},     {"narayanan-3.6b", 3.6},     {"narayanan-7.5b", 7.5},
      {"narayanan-18.4b", 18.4},   {"narayanan-39.1b", 39.1},   {"narayanan-76.1b", 76.1},
      {"narayanan-145.6b", 145.6}, {"narayanan-310.1b", 310.1}, {"narayanan-529.6b", 529.6},
      {"narayanan-1t", 1008.0}};
  for (const auto& [name, billions] : rows) {
    const ModelSpec m = ResolveModel(name);
    const double l = m.num_layers, h = m.hidden, V = m.vocab, s = m.max_seq;
    const double formula = 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h));
    const double counted = static_cast<double>(CountParams(m).total());
    // Our count adds only the final LayerNorm (2h) to the paper's formula.
    EXPECT_NEAR(counted - formula, 2 * h, 0.5) << name;
    // The paper's column is the formula rounded to 0.1B (1.7B is printed for 1.65B).
    EXPECT_NEAR(counted / 1e9, billions, 0.051 + (billions < 2 ? 0.05 : 0)) << name;
  }
}

TEST(ParamCount, PublishedLlamaAndMixtral) {
  EXPECT_NEAR(CountParams(ResolveModel("llama2-7b")).total() / 1e9, 6.74, 0.005);
  EXPECT_NEAR(CountParams(ResolveModel("llama2-13b")).total() / 1e9, 13.02, 0.01);
  EXPECT_NEAR(CountParams(ResolveModel("llama2-70b")).total() / 1e9, 68.98, 0.01);
  EXPECT_NEAR(CountParams(ResolveModel("llama3-8b")).total() / 1e9, 8.03, 0.005);
  EXPECT_NEAR(CountParams(ResolveModel("llama3-70b")).total() / 1e9, 70.55, 0.01);
  EXPECT_NEAR(CountParams(ResolveModel("llama3-405b")).total() / 1e9, 405.85, 0.1);
  const ModelSpec mixtral = ResolveModel("mixtral-8x7b");
  const ParamCounts c = CountParams(mixtral);
  EXPECT_NEAR(c.total() / 1e9, 46.7, 0.05);
  EXPECT_NEAR(c.active(mixtral) / 1e9, 12.9, 0.05);
}

TEST(ParamCount, OneGpuLlamaPreset) {
  // 24 x (2 h^2 attention q/o + 2 h 512 k/v + 3 h f SwiGLU + 2 h norms) + 2 V h + h.
  EXPECT_EQ(CountParams(ResolveModel("llama-1.5b")).total(), 1515292672);
}

TEST(ParamCount, MatchesPyTorchCountsOfMeasuredModels) {
  // shared/reference/measured-h200x4-2026-11-28/gpt_1gpu.json "params".
  EXPECT_EQ(CountParams(ResolveModel("gpt2-124m")).total(), 124475904);
  EXPECT_EQ(CountParams(ResolveModel("gpt-350m")).total(), 354871296);
  EXPECT_EQ(CountParams(ResolveModel("gpt-1.3b")).total(), 1315819520);
}

TEST(Flops, ModelFlopsMatchNarayananClosedForm) {
  for (const char* name : {"narayanan-1.7b", "narayanan-145.6b", "narayanan-1t"}) {
    const ModelSpec m = ResolveModel(name);
    const double s = 2048, l = m.num_layers, h = m.hidden, V = m.vocab;
    const double closed_per_token = 72 * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h)) / s;
    const double ours = CountFlops(m, 2048).model_per_token();
    EXPECT_NEAR(ours / closed_per_token, 1.0, 1e-12) << name;
  }
}

TEST(Flops, HardwareFlopsWithRecompute) {
  // Full recompute: Narayanan et al. 2021's 96Bslh^2(1 + s/6h + V/16lh).
  const ModelSpec m = ResolveModel("narayanan-145.6b");
  const double s = 2048, l = m.num_layers, h = m.hidden, V = m.vocab;
  EXPECT_NEAR(HardwareFlopsPerToken(m, 2048, Recompute::kFull) / (96 * l * h * h * (1 + s / (6 * h) + V / (16 * l * h))),
              1.0, 1e-12);
  EXPECT_EQ(HardwareFlopsPerToken(m, 2048, Recompute::kNone), CountFlops(m, 2048).model_per_token());
  // Selective: HFU / MFU ratios of Megatron-LM's README table (22B: 43.7/41.5, 175B: 52.8/51.4, 1T: 57.0/56.3).
  struct Row {
    int layers, hidden, heads;
    double hfu_over_mfu;
  };
  for (const Row r : {Row{48, 6144, 64, 43.7 / 41.5}, Row{96, 12288, 96, 52.8 / 51.4}, Row{128, 25600, 160, 57.0 / 56.3}}) {
    ModelSpec g = m;
    g.num_layers = r.layers, g.hidden = r.hidden, g.heads = g.kv_heads = r.heads, g.head_dim = r.hidden / r.heads;
    g.ffn_hidden = 4 * r.hidden;
    const double ratio = HardwareFlopsPerToken(g, 2048, Recompute::kSelective) / CountFlops(g, 2048).model_per_token();
    EXPECT_NEAR(ratio, r.hfu_over_mfu, 0.003) << r.hidden;
  }
}

TEST(Flops, MoeCountsActiveExpertsOnly) {
  const ModelSpec m = ResolveModel("mixtral-8x7b");
  ModelSpec dense = m;
  dense.moe = MoeSpec{};
  // top-2 of 8: the FFN GEMM work is twice the dense model's (plus the router).
  const double router = 2.0 * m.hidden * m.moe.num_experts * m.num_layers;
  const double ffn = 2.0 * 3 * m.hidden * m.ffn_hidden * m.num_layers;
  EXPECT_NEAR(CountFlops(m, 4096).forward_per_token - CountFlops(dense, 4096).forward_per_token, ffn + router, 1);
}

}  // namespace
}  // namespace parallax
