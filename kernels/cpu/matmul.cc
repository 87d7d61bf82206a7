// Blocked fp32 matmul (see matmul.h). Operands are first packed so that A is
// [M, K] and B is [K, N] row-major; the inner loop then runs over contiguous
// rows of B and C (axpy form), which -O3 vectorises. Blocking over K and N keeps
// a panel of B in cache while many rows of A stream through.
#include "kernels/cpu/matmul.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace parallax::cpu {
namespace {

// dst [rows, cols] = src^T where src is [cols, rows].
void transpose(const float* src, int rows, int cols, float* dst) {
  constexpr int kT = 32;
  for (int i0 = 0; i0 < rows; i0 += kT)
    for (int j0 = 0; j0 < cols; j0 += kT)
      for (int i = i0; i < std::min(rows, i0 + kT); ++i)
        for (int j = j0; j < std::min(cols, j0 + kT); ++j)
          dst[static_cast<size_t>(i) * cols + j] = src[static_cast<size_t>(j) * rows + i];
}

}  // namespace

void matmul(const float* a, const float* b, float* c, int m, int n, int k, bool trans_a,
            bool trans_b, float beta) {
  std::vector<float> a_pack, b_pack;
  if (trans_a) {
    a_pack.resize(static_cast<size_t>(m) * k);
    transpose(a, m, k, a_pack.data());
    a = a_pack.data();
  }
  if (trans_b) {
    b_pack.resize(static_cast<size_t>(k) * n);
    transpose(b, k, n, b_pack.data());
    b = b_pack.data();
  }
  for (size_t i = 0; i < static_cast<size_t>(m) * n; ++i) c[i] = beta == 0 ? 0.0f : beta * c[i];
  constexpr int kBk = 128, kBn = 512;
  for (int k0 = 0; k0 < k; k0 += kBk) {
    const int k1 = std::min(k, k0 + kBk);
    for (int n0 = 0; n0 < n; n0 += kBn) {
      const int n1 = std::min(n, n0 + kBn);
      for (int i = 0; i < m; ++i) {
        float* __restrict ci = c + static_cast<size_t>(i) * n;
        const float* ai = a + static_cast<size_t>(i) * k;
        for (int p = k0; p < k1; ++p) {
          const float aip = ai[p];
          const float* __restrict bp = b + static_cast<size_t>(p) * n;
          for (int j = n0; j < n1; ++j) ci[j] += aip * bp[j];
        }
      }
    }
  }
}

void bias_forward(float* y, const float* bias, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) y[static_cast<size_t>(r) * cols + c] += bias[c];
}

void bias_backward(const float* dy, int rows, int cols, float* dbias) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) dbias[c] += dy[static_cast<size_t>(r) * cols + c];
}

}  // namespace parallax::cpu
