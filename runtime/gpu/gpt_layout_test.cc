// Parameter layout against core's independent parameter count and the CPU
// backend's tensors, plus the alignment, no-overlap and bucket rules the GPU
// buffers and data parallelism rely on, for GPT and Llama-style models.
#include "runtime/gpu/gpt_layout.h"

#include <algorithm>
#include <stdexcept>

#include "core/model_io.h"
#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

TEST(GptLayout, CountsMatchCoreAndTensorsAreAlignedAndDisjoint) {
  for (const char* name : {"gpt-1.3b", "gpt2-124m", "llama-1.5b", "llama2-7b", "llama3-8b"}) {
    const ModelSpec m = ResolveModel(name);
    const GptLayout L = MakeGptLayout(m);
    EXPECT_EQ(int64_t(L.param_count), CountParams(m).total()) << name;
    const ModelLayout cpu = BuildLayout(m);
    ASSERT_EQ(L.tensors.size(), cpu.tensors.size()) << name;
    for (size_t i = 0; i < cpu.tensors.size(); ++i) {
      EXPECT_EQ(L.tensors[i].name, cpu.tensors[i].name);
      EXPECT_EQ(L.tensors[i].n, size_t(cpu.tensors[i].size()));
    }
    auto t = L.tensors;
    std::sort(t.begin(), t.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
    for (size_t i = 0; i < t.size(); ++i) {
      EXPECT_EQ(t[i].offset % 128, 0u) << t[i].name;
      const size_t end = t[i].offset + t[i].n;
      EXPECT_LE(end, i + 1 < t.size() ? t[i + 1].offset : L.total_elems) << t[i].name;
      const bool matrix = t[i].init == ParamInit::kNormal;
      EXPECT_EQ(matrix, end <= L.decay_elems) << t[i].name;
    }
    EXPECT_EQ(L.lm_head == L.embedding, m.tied_embeddings) << name;
    EXPECT_EQ(L.position >= 0, m.position == Position::kLearned) << name;
  }
}

TEST(GptLayout, BucketsTileTheBuffersAtTheAlignmentAndHoldEachLayersMatrices) {
  for (const char* name : {"gpt2-124m", "llama2-7b"}) {
    const ModelSpec m = ResolveModel(name);
    const size_t align = 3 * 128;  // ZeRO-1 over 3 ranks
    const GptLayout L = MakeGptLayout(m, align);
    ASSERT_EQ(L.buckets.size(), size_t(m.num_layers + (m.tied_embeddings ? 2 : 3))) << name;
    size_t at = 0;
    for (const GradBucket& b : L.buckets) {
      EXPECT_EQ(b.begin, at);
      EXPECT_EQ(b.begin % align, 0u);
      EXPECT_EQ(b.end % align, 0u);
      EXPECT_EQ(b.decay, b.end <= L.decay_elems);
      at = b.end;
    }
    EXPECT_EQ(at, L.total_elems);
    for (int l = 0; l < m.num_layers; ++l) {
      const GradBucket& b = L.buckets[L.layer_bucket(l)];
      for (int64_t off : {L.layers[l].wq, L.layers[l].wk, L.layers[l].wv, L.layers[l].wo,
                          L.layers[l].w_up, L.layers[l].w_down}) {
        EXPECT_GE(size_t(off), b.begin);
        EXPECT_LT(size_t(off), b.end);
      }
    }
    if (!m.tied_embeddings) {
      EXPECT_EQ(size_t(L.lm_head), L.buckets[L.layer_bucket(m.num_layers)].begin);
    }
  }
  EXPECT_THROW(MakeGptLayout(ResolveModel("gpt2-124m"), 100), std::invalid_argument);
}

TEST(GptLayout, RejectsModelsThisRuntimeDoesNotBuild) {
  EXPECT_THROW(MakeGptLayout(ResolveModel("mixtral-8x7b")), std::invalid_argument);  // MoE
  EXPECT_THROW(MakeGptLayout(ResolveModel("gpt-tiny")), std::invalid_argument);  // head_dim 16
}

}  // namespace
}  // namespace parallax::gpu
