// Test helpers for the CPU reference ops: seeded random arrays, relative error
// ||a - b|| / ||b||, and central finite differences of a scalar loss in double.
// A backward is checked by comparing its gradient with numeric_grad of
// loss = sum(forward(x) * r) for a fixed random r.
#pragma once
#include <cmath>
#include <cstddef>
#include <functional>
#include <random>
#include <vector>

namespace parallax::cpu::testing {

inline std::vector<float> random_vector(size_t n, unsigned seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

template <typename A, typename B>
double rel_error(const A& a, const B& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    num += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    den += double(b[i]) * double(b[i]);
  }
  return std::sqrt(num / (den > 0 ? den : 1e-300));
}

// d loss / d x[i] by (loss(x + h) - loss(x - h)) / 2h, perturbing x in place.
inline std::vector<double> numeric_grad(const std::function<double()>& loss, float* x, size_t n,
                                        double h = 1e-2) {
  std::vector<double> g(n);
  for (size_t i = 0; i < n; ++i) {
    const float saved = x[i];
    x[i] = static_cast<float>(saved + h);
    const double up = loss();
    x[i] = static_cast<float>(saved - h);
    const double down = loss();
    x[i] = saved;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

inline double weighted_sum(const std::vector<float>& y, const std::vector<float>& r) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * r[i];
  return s;
}

}  // namespace parallax::cpu::testing
