// Softmax cross-entropy: loss against a log-sum-exp computed here in double,
// dlogits against central finite differences of the mean loss, ignored rows,
// in-place use (dlogits aliasing logits), and large logits (no overflow).
#include "kernels/cpu/cross_entropy.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

double lse_loss(const std::vector<float>& x, const std::vector<int32_t>& t, int vocab) {
  double total = 0;
  int n = 0;
  for (size_t r = 0; r < t.size(); ++r) {
    if (t[r] < 0) continue;
    double sum = 0;
    for (int c = 0; c < vocab; ++c) sum += std::exp(double(x[r * vocab + c]));
    total += std::log(sum) - x[r * vocab + t[r]];
    ++n;
  }
  return total / n;
}

TEST(CrossEntropy, LossAndGradient) {
  const int rows = 6, vocab = 23;
  std::vector<int32_t> t = {3, 0, -1, 22, 7, 3};  // row 2 ignored
  auto x = testing::random_vector(rows * vocab, 1, -4, 4);
  std::vector<float> dx(rows * vocab, NAN);
  const float loss = softmax_cross_entropy(x.data(), t.data(), rows, vocab, dx.data());
  EXPECT_NEAR(loss, lse_loss(x, t, vocab), 1e-5);
  std::vector<float> scratch(rows * vocab);
  auto num = testing::numeric_grad(
      [&] { return softmax_cross_entropy(x.data(), t.data(), rows, vocab, scratch.data()); },
      x.data(), x.size(), 1e-2);
  EXPECT_LT(testing::rel_error(dx, num), 1e-3);
  for (int c = 0; c < vocab; ++c) EXPECT_EQ(dx[2 * vocab + c], 0.0f);
  // Each counted row's gradient sums to zero.
  double row_sum = 0;
  for (int c = 0; c < vocab; ++c) row_sum += dx[c];
  EXPECT_NEAR(row_sum, 0.0, 1e-6);
}

TEST(CrossEntropy, InPlaceAndLargeLogits) {
  const int rows = 3, vocab = 50;
  std::vector<int32_t> t = {1, 49, 0};
  auto x = testing::random_vector(rows * vocab, 2, -5, 5);
  for (auto& v : x) v += 1000.0f;  // exp would overflow without the max shift
  std::vector<float> dx(rows * vocab);
  const float ref = softmax_cross_entropy(x.data(), t.data(), rows, vocab, dx.data());
  EXPECT_TRUE(std::isfinite(ref));
  auto y = x;
  const float loss = softmax_cross_entropy(y.data(), t.data(), rows, vocab, y.data());
  EXPECT_EQ(loss, ref);
  EXPECT_EQ(y, dx);
}

}  // namespace
}  // namespace parallax::cpu
