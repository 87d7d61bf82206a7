// RoPE forward/backward (see rope.h): one rotation routine, the backward
// rotates by the negative angle.
#include "kernels/cpu/rope.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace parallax::cpu {
namespace {

void rotate(const float* x, int batch, int seq, int heads, int head_dim, float theta, int pos0,
            float sign, float* y) {
  const int half = head_dim / 2;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i)
    inv_freq[i] = static_cast<float>(std::pow(double(theta), -2.0 * i / head_dim));
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < seq; ++t)
      for (int h = 0; h < heads; ++h) {
        const size_t off = ((static_cast<size_t>(b) * seq + t) * heads + h) * head_dim;
        for (int i = 0; i < half; ++i) {
          const double angle = double(pos0 + t) * inv_freq[i];
          const float c = static_cast<float>(std::cos(angle));
          const float s = sign * static_cast<float>(std::sin(angle));
          const float x1 = x[off + i], x2 = x[off + i + half];
          y[off + i] = x1 * c - x2 * s;
          y[off + i + half] = x2 * c + x1 * s;
        }
      }
}

}  // namespace

void rope_forward(const float* x, int batch, int seq, int heads, int head_dim, float theta,
                  int pos0, float* y) {
  rotate(x, batch, seq, heads, head_dim, theta, pos0, 1.0f, y);
}

void rope_backward(const float* dy, int batch, int seq, int heads, int head_dim, float theta,
                   int pos0, float* dx) {
  rotate(dy, batch, seq, heads, head_dim, theta, pos0, -1.0f, dx);
}

}  // namespace parallax::cpu
