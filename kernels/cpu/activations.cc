// GELU (tanh) and SwiGLU forward/backward (see activations.h).
#include "kernels/cpu/activations.h"

#include <cmath>

namespace parallax::cpu {
namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluCubic = 0.044715f;
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
}  // namespace

float gelu(float x) {
  const float t = std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x));
  return 0.5f * x * (1.0f + t);
}

float gelu_grad(float x) {
  const float t = std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x));
  return 0.5f * (1.0f + t) +
         0.5f * x * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * x * x);
}

void gelu_forward(const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = gelu(x[i]);
}

void gelu_backward(const float* dy, const float* x, size_t n, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * gelu_grad(x[i]);
}

void swiglu_forward(const float* gate_up, int rows, int hidden, float* out) {
  for (int r = 0; r < rows; ++r) {
    const float* g = gate_up + static_cast<size_t>(r) * 2 * hidden;
    const float* u = g + hidden;
    float* o = out + static_cast<size_t>(r) * hidden;
    for (int c = 0; c < hidden; ++c) o[c] = g[c] * sigmoid(g[c]) * u[c];
  }
}

void swiglu_backward(const float* dout, const float* gate_up, int rows, int hidden,
                     float* dgate_up) {
  for (int r = 0; r < rows; ++r) {
    const float* g = gate_up + static_cast<size_t>(r) * 2 * hidden;
    const float* u = g + hidden;
    const float* d = dout + static_cast<size_t>(r) * hidden;
    float* dg = dgate_up + static_cast<size_t>(r) * 2 * hidden;
    float* du = dg + hidden;
    for (int c = 0; c < hidden; ++c) {
      const float s = sigmoid(g[c]);
      const float silu = g[c] * s;
      dg[c] = d[c] * u[c] * s * (1.0f + g[c] * (1.0f - s));
      du[c] = d[c] * silu;
    }
  }
}

}  // namespace parallax::cpu
