// Korthikanti et al. 2022 Table 5 (and §6.3's data-parallel 530B) against
// Simulate on dgx-a100-80g with default CostParams: the paper's measured
// iteration times for full recompute and for sequence parallel + selective
// recompute, the two modern techniques parallax's planner picks most, on
// models of 22B to 1T with tp 8 and pp up to 64 (bench/simulator/
// korthikanti_2022.h). Prints each row's error, the MAPE, and where the time
// goes.
// Usage: bazel run -c opt //bench/simulator:korthikanti_table5
#include <cmath>
#include <cstdio>

#include "bench/simulator/korthikanti_2022.h"
#include "core/units.h"
#include "simulator/memory_model.h"
#include "simulator/simulate.h"

using namespace parallax;

int main() {
  std::printf("| model | tp | pp | vpp | dp | GPUs | gbs | technique | measured s | predicted s | error | MFU | bubble s "
              "| tp comm s | pp comm s | dp comm s | recompute s | peak GiB |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  double abs_err = 0;
  int n = 0;
  for (const KorthikantiRow& r : KorthikantiTable5()) {
    const Job j = KorthikantiJob(r);
    const SimResult s = Simulate(j);
    const StepBreakdown& b = s.breakdown;
    const double err = (s.step_time_s - r.measured_s) / r.measured_s;
    abs_err += std::fabs(err);
    ++n;
    std::printf("| %s | %d | %d | %d | %d | %d | %lld | %s | %.2f | %.2f | %+.1f%% | %.1f%% | %.2f | %.2f | %.2f | %.2f | "
                "%.2f | %.1f |\n",
                r.model, r.tp, r.pp, r.vpp, r.dp, r.tp * r.pp * r.dp, static_cast<long long>(r.gbs),
                r.present_work ? "sp + selective" : "full recompute", r.measured_s, s.step_time_s, 100 * err,
                100 * s.mfu, b.bubble_s, b.tp_comm_s, b.pp_comm_s, b.dp_comm_s, b.recompute_s,
                EstimateMemory(j).peak_bytes / kGiB);
  }
  std::printf("\nMAPE over %d rows: %.2f%%\n", n, 100 * abs_err / n);
  return 0;
}
