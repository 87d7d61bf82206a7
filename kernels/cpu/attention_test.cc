// Causal GQA attention: forward against a naive softmax(Q K^T / sqrt(d) + mask) V
// written here in double with the kv heads expanded, lse against the same
// scores; backward (dq, dk, dv) against central finite differences.
#include "kernels/cpu/attention.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

// Naive reference: for each (b, h) build the full s x s score matrix.
void naive_attention(const std::vector<float>& q, const std::vector<float>& k,
                     const std::vector<float>& v, const AttentionShape& s, std::vector<double>& out,
                     std::vector<double>& lse) {
  const int d = s.head_dim, g = s.q_heads / s.kv_heads;
  out.assign(q.size(), 0.0);
  lse.assign(static_cast<size_t>(s.batch) * s.q_heads * s.seq, 0.0);
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.q_heads; ++h) {
      std::vector<double> S(s.seq * s.seq, -INFINITY);
      for (int i = 0; i < s.seq; ++i)
        for (int j = 0; j <= i; ++j) {
          double acc = 0;
          for (int c = 0; c < d; ++c)
            acc += double(q[((b * s.seq + i) * s.q_heads + h) * d + c]) *
                   k[((b * s.seq + j) * s.kv_heads + h / g) * d + c];
          S[i * s.seq + j] = acc / std::sqrt(double(d));
        }
      for (int i = 0; i < s.seq; ++i) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < s.seq; ++j) mx = std::max(mx, S[i * s.seq + j]);
        for (int j = 0; j < s.seq; ++j) sum += std::exp(S[i * s.seq + j] - mx);
        lse[(b * s.q_heads + h) * s.seq + i] = mx + std::log(sum);
        for (int j = 0; j < s.seq; ++j) {
          const double p = std::exp(S[i * s.seq + j] - mx) / sum;
          for (int c = 0; c < d; ++c)
            out[((b * s.seq + i) * s.q_heads + h) * d + c] +=
                p * v[((b * s.seq + j) * s.kv_heads + h / g) * d + c];
        }
      }
    }
}

class AttentionTest : public ::testing::TestWithParam<AttentionShape> {};

TEST_P(AttentionTest, ForwardMatchesNaive) {
  const AttentionShape s = GetParam();
  const size_t nq = size_t(s.batch) * s.seq * s.q_heads * s.head_dim;
  const size_t nkv = size_t(s.batch) * s.seq * s.kv_heads * s.head_dim;
  auto q = testing::random_vector(nq, 1, -2, 2), k = testing::random_vector(nkv, 2, -2, 2);
  auto v = testing::random_vector(nkv, 3);
  std::vector<float> out(nq, NAN), lse(size_t(s.batch) * s.q_heads * s.seq, NAN);
  attention_forward(q.data(), k.data(), v.data(), s, out.data(), lse.data());
  std::vector<double> ref_out, ref_lse;
  naive_attention(q, k, v, s, ref_out, ref_lse);
  EXPECT_LT(testing::rel_error(out, ref_out), 1e-5);
  EXPECT_LT(testing::rel_error(lse, ref_lse), 1e-5);
}

TEST_P(AttentionTest, BackwardMatchesFiniteDifferences) {
  const AttentionShape s = GetParam();
  const size_t nq = size_t(s.batch) * s.seq * s.q_heads * s.head_dim;
  const size_t nkv = size_t(s.batch) * s.seq * s.kv_heads * s.head_dim;
  auto q = testing::random_vector(nq, 4, -2, 2), k = testing::random_vector(nkv, 5, -2, 2);
  auto v = testing::random_vector(nkv, 6), r = testing::random_vector(nq, 7);
  std::vector<float> out(nq), lse(size_t(s.batch) * s.q_heads * s.seq);
  auto loss = [&] {
    attention_forward(q.data(), k.data(), v.data(), s, out.data(), lse.data());
    return testing::weighted_sum(out, r);
  };
  loss();
  std::vector<float> dq(nq, NAN), dk(nkv, NAN), dv(nkv, NAN);
  attention_backward(r.data(), q.data(), k.data(), v.data(), out.data(), lse.data(), s, dq.data(),
                     dk.data(), dv.data());
  EXPECT_LT(testing::rel_error(dq, testing::numeric_grad(loss, q.data(), nq, 1e-3)), 2e-3);
  EXPECT_LT(testing::rel_error(dk, testing::numeric_grad(loss, k.data(), nkv, 1e-3)), 2e-3);
  EXPECT_LT(testing::rel_error(dv, testing::numeric_grad(loss, v.data(), nkv, 1e-3)), 2e-3);
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionTest,
                         ::testing::Values(AttentionShape{1, 5, 2, 2, 4},   // plain MHA
                                           AttentionShape{2, 7, 4, 2, 8},   // GQA group 2
                                           AttentionShape{1, 6, 3, 1, 4}));  // MQA

}  // namespace
}  // namespace parallax::cpu
