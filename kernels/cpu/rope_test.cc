// RoPE: norms are preserved, position 0 is the identity, a hand-computed pair
// matches, the score q·k depends only on the relative position, and the
// backward matches finite differences.
#include "kernels/cpu/rope.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(Rope, HandValueAndIdentityAtZero) {
  // head_dim 4, theta 100: pair i=1 has frequency 100^(-1/2) = 0.1.
  std::vector<float> x = {1, 2, 3, 4}, y(4);
  rope_forward(x.data(), 1, 1, 1, 4, 100.0f, 0, y.data());
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y[i], x[i]);
  rope_forward(x.data(), 1, 1, 1, 4, 100.0f, 5, y.data());  // position 5
  EXPECT_NEAR(y[0], 1 * std::cos(5.0) - 3 * std::sin(5.0), 1e-5);
  EXPECT_NEAR(y[2], 3 * std::cos(5.0) + 1 * std::sin(5.0), 1e-5);
  EXPECT_NEAR(y[1], 2 * std::cos(0.5) - 4 * std::sin(0.5), 1e-5);
  EXPECT_NEAR(y[3], 4 * std::cos(0.5) + 2 * std::sin(0.5), 1e-5);
}

TEST(Rope, ScoreDependsOnRelativePosition) {
  const int d = 16;
  auto q = testing::random_vector(d, 1), k = testing::random_vector(d, 2);
  auto score = [&](int pq, int pk) {
    std::vector<float> rq(d), rk(d);
    rope_forward(q.data(), 1, 1, 1, d, 10000.0f, pq, rq.data());
    rope_forward(k.data(), 1, 1, 1, d, 10000.0f, pk, rk.data());
    return testing::weighted_sum(rq, rk);
  };
  EXPECT_NEAR(score(7, 3), score(104, 100), 1e-4);
  EXPECT_NEAR(score(3, 3), testing::weighted_sum(q, k), 1e-4);
}

TEST(Rope, BackwardMatchesFiniteDifferencesAndPreservesNorm) {
  const int b = 2, s = 5, h = 3, d = 8;
  const size_t n = b * s * h * d;
  auto x = testing::random_vector(n, 3), r = testing::random_vector(n, 4);
  std::vector<float> y(n), dx(n);
  auto loss = [&] {
    rope_forward(x.data(), b, s, h, d, 10000.0f, 2, y.data());
    return testing::weighted_sum(y, r);
  };
  loss();
  EXPECT_NEAR(testing::weighted_sum(y, y), testing::weighted_sum(x, x), 1e-4);
  rope_backward(r.data(), b, s, h, d, 10000.0f, 2, dx.data());
  EXPECT_LT(testing::rel_error(dx, testing::numeric_grad(loss, x.data(), n, 1e-3)), 1e-3);
}

}  // namespace
}  // namespace parallax::cpu
