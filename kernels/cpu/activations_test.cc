// GELU against known values of the tanh form and finite differences; SwiGLU
// against silu(g) * u written out, and its backward against finite differences.
#include "kernels/cpu/activations.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(Gelu, KnownValues) {
  EXPECT_EQ(gelu(0.0f), 0.0f);
  // 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.841192 (tanh form at x = 1).
  EXPECT_NEAR(gelu(1.0f), 0.8411920, 1e-6);
  EXPECT_NEAR(gelu(-1.0f), 0.8411920f - 1.0f, 1e-6);  // gelu(-x) = gelu(x) - x
  EXPECT_NEAR(gelu(10.0f), 10.0f, 1e-5);
}

TEST(Gelu, BackwardMatchesFiniteDifferences) {
  const size_t n = 200;
  auto x = testing::random_vector(n, 1, -4.0f, 4.0f);
  auto r = testing::random_vector(n, 2);
  std::vector<float> y(n), dx(n);
  auto loss = [&] {
    gelu_forward(x.data(), n, y.data());
    return testing::weighted_sum(y, r);
  };
  gelu_backward(r.data(), x.data(), n, dx.data());
  EXPECT_LT(testing::rel_error(dx, testing::numeric_grad(loss, x.data(), n, 1e-3)), 1e-3);
}

TEST(SwiGlu, ForwardAndBackward) {
  const int rows = 5, hidden = 13;
  auto gu = testing::random_vector(rows * 2 * hidden, 3, -3.0f, 3.0f);
  auto r = testing::random_vector(rows * hidden, 4);
  std::vector<float> out(rows * hidden), dgu(rows * 2 * hidden, -7.0f);
  swiglu_forward(gu.data(), rows, hidden, out.data());
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < hidden; ++c) {
      const double g = gu[i * 2 * hidden + c], u = gu[i * 2 * hidden + hidden + c];
      EXPECT_NEAR(out[i * hidden + c], g / (1 + std::exp(-g)) * u, 1e-5);
    }
  auto loss = [&] {
    swiglu_forward(gu.data(), rows, hidden, out.data());
    return testing::weighted_sum(out, r);
  };
  swiglu_backward(r.data(), gu.data(), rows, hidden, dgu.data());
  EXPECT_LT(testing::rel_error(dgu, testing::numeric_grad(loss, gu.data(), gu.size(), 1e-3)),
            1e-3);
}

}  // namespace
}  // namespace parallax::cpu
