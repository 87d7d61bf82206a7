// Narayanan et al. 2021 (SC'21, "Efficient Large-Scale Language Model Training
// on GPU Clusters Using Megatron-LM"), Table 1: achieved TFLOP/s per GPU on
// Selene (A100-80GB, dgx-a100-80g) for GPT models 1.7B..1T, against Simulate.
// FLOPs use the paper's convention (full recompute counted):
// 96·B·s·l·h²·(1 + s/6h + V/16lh). The job of each row (what the table does
// not state: Megatron-LM 2021's settings) is in narayanan_2021.h.
// Usage: bazel run -c opt //bench/simulator:narayanan_table1
#include <cmath>
#include <cstdio>
#include <string>

#include "bench/simulator/narayanan_2021.h"
#include "simulator/simulate.h"

using namespace parallax;

int main(int argc, char** argv) {
  // Default CostParams, or `--gemm-scale X`: the GEMM efficiency scale that
  // vtrain_a100 fits on its even rows (the only one of its constants that is a
  // property of the A100 rather than of vTrain's node and software).
  CostParams params;
  const bool scaled = argc > 2 && std::string(argv[1]) == "--gemm-scale";
  if (scaled) params.gemm_efficiency_scale = std::stod(argv[2]);
  std::printf("CostParams: gemm_efficiency_scale %.2f%s\n\n", params.gemm_efficiency_scale,
              scaled ? " (--gemm-scale, from vtrain_a100's calibration)" : " (defaults)");
  std::printf("| model | tp | pp | vpp | dp | gpus | gbs | m | step s | paper TFLOP/s | predicted | error | bubble | tp comm s | pp comm s | dp comm s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  double sum_abs = 0;
  int n = 0;
  for (const NarayananRow& r : NarayananTable1()) {
    const Job j = NarayananPaperJob(r);
    const ParallelConfig& p = j.parallel;
    const SimResult s = Simulate(j, params);
    const double tflops = NarayananFlopsPerStep(j) / (s.step_time_s * r.gpus) / 1e12;
    const double err = (tflops - r.paper_tflops) / r.paper_tflops;
    sum_abs += std::fabs(err);
    ++n;
    std::printf("| %s | %d | %d | %d | %d | %d | %lld | %lld | %.3f | %.0f | %.1f | %+.1f%% | %.3f | %.3f | %.3f | %.3f |\n",
                r.model, p.tp, p.pp, p.vpp, p.dp, r.gpus, static_cast<long long>(r.gbs),
                static_cast<long long>(j.micro_batches()), s.step_time_s, r.paper_tflops, tflops, 100 * err,
                s.bubble_fraction, s.breakdown.tp_comm_s, s.breakdown.pp_comm_s, s.breakdown.dp_comm_s);
  }
  std::printf("\nMAPE over %d rows: %.2f%%\n", n, 100 * sum_abs / n);
  return 0;
}
