// Narayanan et al. 2021, §5.4.1 ("Tensor versus Pipeline Parallelism",
// Figure 13): a 162.2B GPT (32 layers, hidden 20480, 128 heads, seq 2048) on
// 64 A100s (dgx-a100-80g), every (tp, pp) with tp x pp = 64, batch 32 and
// 128, micro-batch 1. The paper measured the peak at tp = 8, the GPUs of one
// node ("tensor model parallelism is best within a node"), with throughput
// falling off both ways. parallax simulates each split under Megatron-LM
// 2021's settings (bench/simulator/narayanan_2021.h; 1F1B) and prints its
// ranking: an independent check of the tp / pp trade-off on the paper's own
// sweep, the same trade-off on which parallax departs from Table 1 for the
// 18.4B / 39.1B rows (bench/planner/narayanan_plans.md). The figure's values
// are not quoted (they are read off a plot); only its shape is compared.
// Usage: bazel run -c opt //bench/planner:narayanan_tp_vs_pp
#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "bench/simulator/narayanan_2021.h"
#include "core/units.h"
#include "simulator/memory_model.h"
#include "simulator/simulate.h"

using namespace parallax;

int main() {
  int peaks_at_tp8 = 0;
  for (int64_t gbs : {32, 128}) {
    std::printf("\n### batch %lld, 64 GPUs, micro-batch 1, 1F1B\n\n", static_cast<long long>(gbs));
    std::printf("| tp | pp | step s | TFLOP/s per GPU (paper's count) | bubble s | tp comm s | pp comm s | peak GiB |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    std::vector<std::pair<double, int>> by_throughput;
    for (int tp : {2, 4, 8, 16, 32}) {
      const Job j = NarayananTpVsPpJob(tp, gbs);
      const SimResult r = Simulate(j);
      const double tflops = NarayananFlopsPerStep(j) / r.step_time_s / 64 / 1e12;
      const StepBreakdown& b = r.breakdown;
      std::printf("| %d | %d | %.3f | %.1f | %.3f | %.3f | %.3f | %.1f |\n", tp, 64 / tp, r.step_time_s, tflops,
                  b.bubble_s, b.tp_comm_s, b.pp_comm_s, EstimateMemory(j).peak_bytes / kGiB);
      by_throughput.emplace_back(tflops, tp);
    }
    std::sort(by_throughput.rbegin(), by_throughput.rend());
    std::printf("\nranking by throughput: tp");
    for (const auto& [tflops, tp] : by_throughput) std::printf(" %d", tp);
    std::printf(" (paper: peak at tp 8)\n");
    peaks_at_tp8 += by_throughput.front().second == 8;
  }
  std::printf("\nparallax peaks at tp 8 for %d of 2 batch sizes, as the paper measured\n", peaks_at_tp8);
  return 0;
}
