// LayerNorm: forward rows have mean bias-free 0 and variance 1 before the
// affine part; backward (dx, dweight, dbias) matches central finite differences.
#include "kernels/cpu/layernorm.h"

#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(LayerNorm, ForwardNormalises) {
  const int rows = 4, dim = 33;
  auto x = testing::random_vector(rows * dim, 1, -3.0f, 5.0f);
  std::vector<float> w(dim, 1.0f), b(dim, 0.0f), y(rows * dim), mean(rows), rstd(rows);
  layernorm_forward(x.data(), w.data(), b.data(), rows, dim, 1e-5f, y.data(), mean.data(),
                    rstd.data());
  for (int r = 0; r < rows; ++r) {
    double s = 0, ss = 0;
    for (int c = 0; c < dim; ++c) s += y[r * dim + c], ss += y[r * dim + c] * y[r * dim + c];
    EXPECT_NEAR(s / dim, 0.0, 1e-5);
    EXPECT_NEAR(ss / dim, 1.0, 1e-3);
  }
}

TEST(LayerNorm, BackwardMatchesFiniteDifferences) {
  const int rows = 3, dim = 17;
  const float eps = 1e-5f;
  auto x = testing::random_vector(rows * dim, 2, -2.0f, 2.0f);
  auto w = testing::random_vector(dim, 3, 0.5f, 1.5f);
  auto b = testing::random_vector(dim, 4);
  auto r = testing::random_vector(rows * dim, 5);
  std::vector<float> y(rows * dim), mean(rows), rstd(rows);
  auto loss = [&] {
    layernorm_forward(x.data(), w.data(), b.data(), rows, dim, eps, y.data(), mean.data(),
                      rstd.data());
    return testing::weighted_sum(y, r);
  };
  loss();
  std::vector<float> dx(rows * dim, -7.0f), dw(dim, 0.0f), db(dim, 0.0f);
  layernorm_backward(r.data(), x.data(), w.data(), mean.data(), rstd.data(), rows, dim, dx.data(),
                     dw.data(), db.data());
  EXPECT_LT(testing::rel_error(dx, testing::numeric_grad(loss, x.data(), x.size(), 1e-3)), 1e-3);
  EXPECT_LT(testing::rel_error(dw, testing::numeric_grad(loss, w.data(), w.size(), 1e-3)), 1e-3);
  EXPECT_LT(testing::rel_error(db, testing::numeric_grad(loss, b.data(), b.size(), 1e-3)), 1e-3);
}

}  // namespace
}  // namespace parallax::cpu
