// Causal GQA attention forward/backward (see attention.h). One query row at a
// time: scores over keys 0..i, softmax, weighted sum of values. Backward:
//   P = exp(S - lse), dP = dO V^T, D = rowsum(dO * O), dS = P (dP - D),
//   dQ = scale dS K, dK = scale dS^T Q, dV = P^T dO.
#include "kernels/cpu/attention.h"

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace parallax::cpu {
namespace {

struct Index {
  const AttentionShape& s;
  size_t q(int b, int t, int h) const {
    return ((static_cast<size_t>(b) * s.seq + t) * s.q_heads + h) * s.head_dim;
  }
  size_t kv(int b, int t, int h) const {
    return ((static_cast<size_t>(b) * s.seq + t) * s.kv_heads + h) * s.head_dim;
  }
  size_t lse(int b, int h, int t) const {
    return (static_cast<size_t>(b) * s.q_heads + h) * s.seq + t;
  }
};

void check(const AttentionShape& s) {
  if (s.kv_heads <= 0 || s.q_heads % s.kv_heads != 0)
    throw std::invalid_argument("attention: q_heads must be a multiple of kv_heads");
}

float dot(const float* a, const float* b, int n) {
  float acc = 0;
  for (int i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

}  // namespace

void attention_forward(const float* q, const float* k, const float* v, const AttentionShape& s,
                       float* out, float* lse) {
  check(s);
  const Index ix{s};
  const int group = s.q_heads / s.kv_heads, d = s.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> p(s.seq);
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.q_heads; ++h) {
      const int hk = h / group;
      for (int i = 0; i < s.seq; ++i) {
        const float* qi = q + ix.q(b, i, h);
        float mx = -INFINITY;
        for (int j = 0; j <= i; ++j) {
          p[j] = dot(qi, k + ix.kv(b, j, hk), d) * scale;
          mx = std::fmax(mx, p[j]);
        }
        double sum = 0;
        for (int j = 0; j <= i; ++j) {
          p[j] = std::exp(p[j] - mx);
          sum += p[j];
        }
        float* o = out + ix.q(b, i, h);
        for (int c = 0; c < d; ++c) o[c] = 0;
        const float inv = static_cast<float>(1.0 / sum);
        for (int j = 0; j <= i; ++j) {
          const float* vj = v + ix.kv(b, j, hk);
          const float w = p[j] * inv;
          for (int c = 0; c < d; ++c) o[c] += w * vj[c];
        }
        lse[ix.lse(b, h, i)] = mx + static_cast<float>(std::log(sum));
      }
    }
}

void attention_backward(const float* dout, const float* q, const float* k, const float* v,
                        const float* out, const float* lse, const AttentionShape& s, float* dq,
                        float* dk, float* dv) {
  check(s);
  const Index ix{s};
  const int group = s.q_heads / s.kv_heads, d = s.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const size_t nq = static_cast<size_t>(s.batch) * s.seq * s.q_heads * d;
  const size_t nkv = static_cast<size_t>(s.batch) * s.seq * s.kv_heads * d;
  for (size_t i = 0; i < nq; ++i) dq[i] = 0;
  for (size_t i = 0; i < nkv; ++i) dk[i] = dv[i] = 0;
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.q_heads; ++h) {
      const int hk = h / group;
      for (int i = 0; i < s.seq; ++i) {
        const float* qi = q + ix.q(b, i, h);
        const float* doi = dout + ix.q(b, i, h);
        const float D = dot(doi, out + ix.q(b, i, h), d);
        const float l = lse[ix.lse(b, h, i)];
        float* dqi = dq + ix.q(b, i, h);
        for (int j = 0; j <= i; ++j) {
          const float* kj = k + ix.kv(b, j, hk);
          const float* vj = v + ix.kv(b, j, hk);
          const float p = std::exp(dot(qi, kj, d) * scale - l);
          const float ds = p * (dot(doi, vj, d) - D) * scale;
          float* dkj = dk + ix.kv(b, j, hk);
          float* dvj = dv + ix.kv(b, j, hk);
          for (int c = 0; c < d; ++c) {
            dqi[c] += ds * kj[c];
            dkj[c] += ds * qi[c];
            dvj[c] += p * doi[c];
          }
        }
      }
    }
}

}  // namespace parallax::cpu
