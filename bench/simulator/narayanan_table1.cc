// Narayanan et al. 2021 (SC'21, "Efficient Large-Scale Language Model Training
// on GPU Clusters Using Megatron-LM"), Table 1: achieved TFLOP/s per GPU on
// Selene (A100-80GB, dgx-a100-80g) for GPT models 1.7B..1T, against Simulate.
// FLOPs use the paper's convention (full recompute counted):
// 96·B·s·l·h²·(1 + s/6h + V/16lh). Assumptions (the table does not state
// them): micro-batch 1, full activation recompute, unfused attention (2021,
// before flash attention), bf16-mixed, interleaved schedule with vpp = 2 where
// layers per stage are even, else the smallest divisor (3 for 76.1B's 15 and
// 529.6B's 3 layers per stage),
// 1F1B where pp = 1, data-parallel all-reduce overlapped with the backward.
// Usage: bazel run -c opt //bench/simulator:narayanan_table1
#include <cmath>
#include <cstdio>
#include <string>

#include "core/cluster_io.h"
#include "core/model_io.h"
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
  struct Row {
    const char* model;
    int tp, pp, gpus;
    int64_t gbs;
    double paper_tflops;
  };
  const Row rows[] = {
      {"narayanan-1.7b", 1, 1, 32, 512, 137},     {"narayanan-3.6b", 2, 1, 64, 512, 138},
      {"narayanan-7.5b", 4, 1, 128, 512, 142},    {"narayanan-18.4b", 8, 1, 256, 1024, 135},
      {"narayanan-39.1b", 8, 2, 512, 1536, 138},  {"narayanan-76.1b", 8, 4, 1024, 1792, 140},
      {"narayanan-145.6b", 8, 8, 1536, 2304, 148}, {"narayanan-310.1b", 8, 16, 1920, 2160, 155},
      {"narayanan-529.6b", 8, 35, 2520, 2520, 163}, {"narayanan-1t", 8, 64, 3072, 3072, 163},
  };
  const ClusterSpec cluster = ResolveCluster("dgx-a100-80g");
  std::printf("| model | tp | pp | vpp | dp | gpus | gbs | m | step s | paper TFLOP/s | predicted | error | bubble | tp comm s | dp comm s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  double sum_abs = 0;
  int n = 0;
  for (const Row& r : rows) {
    Job j;
    j.model = ResolveModel(r.model);
    j.cluster = cluster;
    j.training = {r.gbs, 2048, 1, Precision::kBf16Mixed};
    ParallelConfig& p = j.parallel;
    p.tp = r.tp;
    p.pp = r.pp;
    p.dp = r.gpus / (r.tp * r.pp);
    p.recompute = Recompute::kFull;
    p.attention = AttentionKernel::kUnfused;
    if (r.pp > 1) {
      const int per_stage = j.model.num_layers / r.pp;
      p.schedule = ScheduleKind::kInterleaved;
      p.vpp = 1;
      for (int v = 2; v <= per_stage && p.vpp == 1; ++v)
        if (per_stage % v == 0) p.vpp = v;
    }
    const SimResult s = Simulate(j, params);
    const double B = r.gbs, seq = 2048, l = j.model.num_layers, h = j.model.hidden, V = j.model.vocab;
    const double flops = 96 * B * seq * l * h * h * (1 + seq / (6 * h) + V / (16 * l * h));
    const double tflops = flops / (s.step_time_s * r.gpus) / 1e12;
    const double err = (tflops - r.paper_tflops) / r.paper_tflops;
    sum_abs += std::fabs(err);
    ++n;
    std::printf("| %s | %d | %d | %d | %d | %d | %lld | %lld | %.3f | %.0f | %.1f | %+.1f%% | %.3f | %.3f | %.3f |\n", r.model,
                p.tp, p.pp, p.vpp, p.dp, r.gpus, static_cast<long long>(r.gbs),
                static_cast<long long>(j.micro_batches()), s.step_time_s, r.paper_tflops, tflops, 100 * err,
                s.bubble_fraction, s.breakdown.tp_comm_s, s.breakdown.dp_comm_s);
  }
  std::printf("\nMAPE over %d rows: %.2f%%\n", n, 100 * sum_abs / n);
  return 0;
}
