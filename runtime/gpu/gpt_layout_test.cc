// Parameter layout against core's independent parameter count, plus the
// alignment and no-overlap rules the GPU buffers rely on.
#include "runtime/gpu/gpt_layout.h"

#include <algorithm>
#include <stdexcept>

#include "core/model_io.h"
#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

TEST(GptLayout, CountsMatchCoreAndTensorsAreAlignedAndDisjoint) {
  for (const char* name : {"gpt-1.3b", "gpt2-124m", "gpt-350m"}) {
    const ModelSpec m = ResolveModel(name);
    const GptLayout L = MakeGptLayout(m);
    EXPECT_EQ(int64_t(L.param_count), CountParams(m).total()) << name;
    auto t = L.tensors;
    std::sort(t.begin(), t.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
    for (size_t i = 0; i < t.size(); ++i) {
      EXPECT_EQ(t[i].offset % 128, 0u) << t[i].name;
      const size_t end = t[i].offset + t[i].n;
      EXPECT_LE(end, i + 1 < t.size() ? t[i + 1].offset : L.total_elems) << t[i].name;
      const bool decay = t[i].init == ParamInit::kNormal ||
                         t[i].init == ParamInit::kNormalScaledResidual;
      EXPECT_EQ(decay, end <= L.decay_elems) << t[i].name;
    }
  }
}

TEST(GptLayout, RejectsModelsThisRuntimeDoesNotBuild) {
  EXPECT_THROW(MakeGptLayout(ResolveModel("llama2-7b")), std::invalid_argument);
  EXPECT_THROW(MakeGptLayout(ResolveModel("gpt-tiny")), std::invalid_argument);  // head_dim 16
}

}  // namespace
}  // namespace parallax::gpu
