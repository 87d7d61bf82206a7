// Layout sizes against core's independent parameter count, init statistics
// and determinism of the counter-based initialisation.
#include "runtime/model_weights.h"

#include <cmath>
#include <vector>

#include "core/errors.h"
#include "gtest/gtest.h"
#include "runtime/test_models.h"

namespace parallax {
namespace {

TEST(ModelWeights, LayoutMatchesCountParams) {
  for (const ModelSpec& m : {testing::GptTiny(), testing::LlamaTiny(), ResolveModel("gpt2-124m"),
                             ResolveModel("llama3-8b"), ResolveModel("llama2-7b")}) {
    const ModelLayout l = BuildLayout(m);
    EXPECT_EQ(l.num_params, CountParams(m).total()) << m.name;
    int64_t end = 0;
    for (const ParamTensor& t : l.tensors) {
      EXPECT_EQ(t.offset, end) << t.name;  // contiguous, no overlap
      end += t.size();
    }
  }
}

TEST(ModelWeights, QkvBiasOnlyModel) {
  ModelSpec m = testing::LlamaTiny();
  m.qkv_bias = true;
  EXPECT_EQ(BuildLayout(m).num_params, CountParams(m).total());
}

TEST(ModelWeights, PaddingRoundsUpAndIsZero) {
  const ModelLayout l = BuildLayout(testing::GptTiny(), 7);
  EXPECT_EQ(l.padded_size % 7, 0);
  EXPECT_LT(l.padded_size - l.num_params, 7);
  std::vector<float> p(l.padded_size, 5.0f);
  InitParams(l, 1, p.data());
  for (int64_t i = l.num_params; i < l.padded_size; ++i) EXPECT_EQ(p[i], 0.0f);
}

TEST(ModelWeights, HashNormalIsStandardNormal) {
  double sum = 0, sumsq = 0, fourth = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = HashNormal(42, 3, i);
    sum += x;
    sumsq += x * x;
    fourth += x * x * x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sumsq / n, 1.0, 0.015);
  EXPECT_NEAR(fourth / n, 3.0, 0.1);  // kurtosis of a normal
  EXPECT_NE(HashNormal(42, 3, 0), HashNormal(43, 3, 0));
  EXPECT_NE(HashNormal(42, 3, 0), HashNormal(42, 4, 0));
}

TEST(ModelWeights, InitIsDeterministicAndScaled) {
  const ModelLayout a = BuildLayout(testing::GptTiny(), 1), b = BuildLayout(testing::GptTiny(), 16);
  std::vector<float> pa(a.padded_size), pb(b.padded_size);
  InitParams(a, 9, pa.data());
  InitParams(b, 9, pb.data());
  for (int64_t i = 0; i < a.num_params; ++i) ASSERT_EQ(pa[i], pb[i]);
  for (const ParamTensor& t : a.tensors) {
    double sumsq = 0;
    for (int64_t i = 0; i < t.size(); ++i) sumsq += double(pa[t.offset + i]) * pa[t.offset + i];
    const double rms = std::sqrt(sumsq / t.size());
    if (t.init == ParamInit::kOnes) EXPECT_EQ(rms, 1.0) << t.name;
    if (t.init == ParamInit::kZeros) EXPECT_EQ(rms, 0.0) << t.name;
    if (t.init == ParamInit::kNormal) EXPECT_NEAR(rms, t.init_std, 0.1 * t.init_std) << t.name;
  }
}

TEST(ModelWeights, RejectsMoeAndDropout) {
  ModelSpec m = testing::GptTiny();
  m.dropout = 0.1;
  EXPECT_THROW(BuildLayout(m), SpecError);
  EXPECT_THROW(BuildLayout(ResolveModel("mixtral-8x7b")), SpecError);
}

}  // namespace
}  // namespace parallax
