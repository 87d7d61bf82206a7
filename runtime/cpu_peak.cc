// GEMM rate calibration for CPU MFU (see cpu_peak.h).
#include "runtime/cpu_peak.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "kernels/cpu/matmul.h"

namespace parallax {

double MeasureCpuGemmFlopsPerThread() {
  constexpr int n = 256;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  double best_s = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    cpu::matmul(a.data(), b.data(), c.data(), n, n, n, false, true, 0);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best_s = std::min(best_s, s);
  }
  return 2.0 * n * n * n / best_s;
}

double CpuPeakFlops(int ranks) {
  const int threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return MeasureCpuGemmFlopsPerThread() * std::min(std::max(ranks, 1), threads);
}

}  // namespace parallax
