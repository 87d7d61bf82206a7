// RMSNorm: forward rows have mean square 1 (unit weight); backward (dx, dweight)
// matches central finite differences.
#include "kernels/cpu/rmsnorm.h"

#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(RmsNorm, ForwardHasUnitMeanSquare) {
  const int rows = 4, dim = 29;
  auto x = testing::random_vector(rows * dim, 1, -3.0f, 5.0f);
  std::vector<float> w(dim, 1.0f), y(rows * dim), rstd(rows);
  rmsnorm_forward(x.data(), w.data(), rows, dim, 1e-6f, y.data(), rstd.data());
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int c = 0; c < dim; ++c) ss += y[r * dim + c] * y[r * dim + c];
    EXPECT_NEAR(ss / dim, 1.0, 1e-4);
  }
}

TEST(RmsNorm, BackwardMatchesFiniteDifferences) {
  const int rows = 3, dim = 19;
  auto x = testing::random_vector(rows * dim, 2, -2.0f, 2.0f);
  auto w = testing::random_vector(dim, 3, 0.5f, 1.5f);
  auto r = testing::random_vector(rows * dim, 5);
  std::vector<float> y(rows * dim), rstd(rows);
  auto loss = [&] {
    rmsnorm_forward(x.data(), w.data(), rows, dim, 1e-6f, y.data(), rstd.data());
    return testing::weighted_sum(y, r);
  };
  loss();
  std::vector<float> dx(rows * dim, -7.0f), dw(dim, 0.0f);
  rmsnorm_backward(r.data(), x.data(), w.data(), rstd.data(), rows, dim, dx.data(), dw.data());
  EXPECT_LT(testing::rel_error(dx, testing::numeric_grad(loss, x.data(), x.size(), 1e-3)), 1e-3);
  EXPECT_LT(testing::rel_error(dw, testing::numeric_grad(loss, w.data(), w.size(), 1e-3)), 1e-3);
}

}  // namespace
}  // namespace parallax::cpu
