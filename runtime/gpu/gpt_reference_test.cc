// The CPU reference GPT itself against central finite differences of its own
// loss (fp32), on the parameters with the largest gradients of every tensor
// kind, so the composition of the reference ops (wiring, tying, residuals) is
// checked independently of the GPU.
#include "runtime/gpu/gpt_reference.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

TEST(GptReference, GradientsMatchFiniteDifferences) {
  ModelSpec m;
  m.name = "gpt-fd";
  m.num_layers = 2;
  m.hidden = 64;
  m.heads = 1;
  m.kv_heads = 1;
  m.head_dim = 64;
  m.ffn_hidden = 64;
  m.vocab = 32;
  m.max_seq = 8;
  const GptLayout L = MakeGptLayout(m);
  const int batch = 2, seq = 8;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<float> p(L.total_elems, 0.0f);
  for (const auto& t : L.tensors)
    for (size_t i = 0; i < t.n; ++i)
      p[t.offset + i] = t.init == ParamInit::kOnes ? 1.0f + 0.1f * normal(rng) : normal(rng);
  std::uniform_int_distribution<int32_t> pick(0, int32_t(m.vocab) - 1);
  std::vector<int32_t> tok(batch * seq), tgt(batch * seq);
  for (auto& x : tok) x = pick(rng);
  for (auto& x : tgt) x = pick(rng);
  std::vector<float> g, scratch;
  GptReferenceLossAndGrads(m, L, p, tok, tgt, batch, seq, &g);
  int checked = 0;
  for (const auto& t : L.tensors) {
    // The two largest-|grad| elements of each tensor.
    std::vector<size_t> idx(t.n);
    for (size_t i = 0; i < t.n; ++i) idx[i] = t.offset + i;
    std::partial_sort(idx.begin(), idx.begin() + 2, idx.end(),
                      [&](size_t a, size_t b) { return std::fabs(g[a]) > std::fabs(g[b]); });
    for (int k = 0; k < 2; ++k) {
      const size_t i = idx[k];
      if (std::fabs(g[i]) < 1e-3f) continue;
      const float h = 1e-2f, saved = p[i];
      p[i] = saved + h;
      const double up = GptReferenceLossAndGrads(m, L, p, tok, tgt, batch, seq, &scratch);
      p[i] = saved - h;
      const double down = GptReferenceLossAndGrads(m, L, p, tok, tgt, batch, seq, &scratch);
      p[i] = saved;
      const double fd = (up - down) / (2 * h);
      EXPECT_NEAR(g[i], fd, 0.03 * std::fabs(fd) + 2e-4) << t.name << " element " << i - t.offset;
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
}

}  // namespace
}  // namespace parallax::gpu
