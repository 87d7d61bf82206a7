// Softmax cross-entropy with its gradient in one pass per row (see cross_entropy.h).
#include "kernels/cpu/cross_entropy.h"

#include <cmath>
#include <cstddef>
#include <stdexcept>

namespace parallax::cpu {

float softmax_cross_entropy(const float* logits, const int32_t* targets, int rows, int vocab,
                            float* dlogits) {
  int counted = 0;
  for (int r = 0; r < rows; ++r) {
    if (targets[r] >= vocab) throw std::out_of_range("softmax_cross_entropy: target >= vocab");
    counted += targets[r] >= 0;
  }
  const float inv_n = counted ? 1.0f / counted : 0.0f;
  double loss = 0;
  for (int r = 0; r < rows; ++r) {
    const float* x = logits + static_cast<size_t>(r) * vocab;
    float* dx = dlogits + static_cast<size_t>(r) * vocab;
    const int t = targets[r];
    if (t < 0) {
      for (int c = 0; c < vocab; ++c) dx[c] = 0;
      continue;
    }
    float mx = -INFINITY;
    for (int c = 0; c < vocab; ++c) mx = std::fmax(mx, x[c]);
    double sum = 0;
    for (int c = 0; c < vocab; ++c) sum += std::exp(double(x[c]) - mx);
    const double lse = mx + std::log(sum);
    loss += lse - x[t];
    const float x_t = x[t];  // read before writing: dlogits may alias logits
    for (int c = 0; c < vocab; ++c)
      dx[c] = static_cast<float>(std::exp(double(x[c]) - lse)) * inv_n;
    dx[t] = static_cast<float>(std::exp(double(x_t) - lse) - 1.0) * inv_n;
  }
  return counted ? static_cast<float>(loss / counted) : 0.0f;
}

}  // namespace parallax::cpu
