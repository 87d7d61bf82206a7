// Embedding lookup copies the right rows; its backward and the position add's
// backward are the transposes of the forwards: <forward(x), r> == <x, backward(r)>.
#include "kernels/cpu/embedding.h"

#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(Embedding, ForwardCopiesRowsAndBackwardIsAdjoint) {
  const int vocab = 11, dim = 7, n = 9;
  std::vector<int32_t> tok = {3, 0, 10, 3, 5, 3, 1, 10, 2};  // repeats exercise the scatter-add
  auto table = testing::random_vector(vocab * dim, 1);
  std::vector<float> out(n * dim, -999.0f);
  embedding_forward(tok.data(), n, table.data(), vocab, dim, out.data());
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dim; ++c) EXPECT_EQ(out[i * dim + c], table[tok[i] * dim + c]);

  auto r = testing::random_vector(n * dim, 2);
  std::vector<float> dtable(vocab * dim, 0.0f);
  embedding_backward(tok.data(), n, r.data(), dim, dtable.data());
  EXPECT_NEAR(testing::weighted_sum(out, r), testing::weighted_sum(table, dtable), 1e-4);
  // Rows never looked up get no gradient.
  for (int c = 0; c < dim; ++c) EXPECT_EQ(dtable[4 * dim + c], 0.0f);
}

TEST(Embedding, RejectsOutOfRangeToken) {
  std::vector<float> table(4), out(2);
  int32_t bad = 2;
  EXPECT_THROW(embedding_forward(&bad, 1, table.data(), 2, 2, out.data()), std::out_of_range);
}

TEST(PositionAdd, BackwardSumsOverBatch) {
  const int batch = 3, seq = 5, dim = 4;
  auto x = testing::random_vector(batch * seq * dim, 3);
  auto pos = testing::random_vector(seq * dim, 4);
  auto y = x;
  position_add_forward(y.data(), pos.data(), batch, seq, dim);
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < seq; ++t)
      for (int c = 0; c < dim; ++c) {
        const int i = (b * seq + t) * dim + c;
        EXPECT_FLOAT_EQ(y[i], x[i] + pos[t * dim + c]);
      }
  auto r = testing::random_vector(batch * seq * dim, 5);
  std::vector<float> dpos(seq * dim, 0.0f);
  position_add_backward(r.data(), batch, seq, dim, dpos.data());
  // d/dpos of sum(y * r), by finite differences.
  auto num = testing::numeric_grad(
      [&] {
        auto yy = x;
        position_add_forward(yy.data(), pos.data(), batch, seq, dim);
        return testing::weighted_sum(yy, r);
      },
      pos.data(), pos.size());
  EXPECT_LT(testing::rel_error(dpos, num), 1e-3);
}

}  // namespace
}  // namespace parallax::cpu
