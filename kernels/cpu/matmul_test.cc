// matmul against a naive triple loop in double for all four transpose
// combinations, with beta = 0 and beta = 1; bias backward against column sums.
#include "kernels/cpu/matmul.h"

#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(Matmul, AllTransposesAndBeta) {
  const int m = 37, n = 530, k = 150;  // crosses the K and N block edges
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (float beta : {0.0f, 1.0f}) {
        auto a = testing::random_vector(size_t(m) * k, 1 + ta);
        auto b = testing::random_vector(size_t(k) * n, 3 + tb);
        auto c = testing::random_vector(size_t(m) * n, 5);
        std::vector<double> ref(size_t(m) * n);
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) {
            double acc = beta * double(c[size_t(i) * n + j]);
            for (int p = 0; p < k; ++p) {
              const float aip = ta ? a[size_t(p) * m + i] : a[size_t(i) * k + p];
              const float bpj = tb ? b[size_t(j) * k + p] : b[size_t(p) * n + j];
              acc += double(aip) * bpj;
            }
            ref[size_t(i) * n + j] = acc;
          }
        matmul(a.data(), b.data(), c.data(), m, n, k, ta, tb, beta);
        EXPECT_LT(testing::rel_error(c, ref), 1e-6) << "ta=" << ta << " tb=" << tb;
      }
}

TEST(Bias, ForwardAndBackward) {
  const int rows = 6, cols = 5;
  auto y = testing::random_vector(rows * cols, 1), bias = testing::random_vector(cols, 2);
  auto y0 = y;
  bias_forward(y.data(), bias.data(), rows, cols);
  std::vector<float> db(cols, 0.0f);
  bias_backward(y0.data(), rows, cols, db.data());
  for (int c = 0; c < cols; ++c) {
    double col = 0;
    for (int r = 0; r < rows; ++r) {
      EXPECT_FLOAT_EQ(y[r * cols + c], y0[r * cols + c] + bias[c]);
      col += y0[r * cols + c];
    }
    EXPECT_NEAR(db[c], col, 1e-5);
  }
}

}  // namespace
}  // namespace parallax::cpu
