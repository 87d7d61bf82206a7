// The measured PyTorch GPT-1.3B runs on 4x H200 (shared/reference/
// measured-h200x4-2026-11-28: PyTorch eager, bf16 autocast, SDPA flash
// attention, fused AdamW; micro-batch 4, seq 2048, no gradient accumulation)
// against Simulate on the h200x4-measured profile with precision amp:
// 1 GPU 152.97 ms/step; DDP on 4 GPUs (all-reduce of fp32 grads overlapped
// with the backward in buckets) 171.1 ms/step. Default CostParams (no
// calibration).
// Usage: bazel run -c opt //bench/simulator:measured_h200
#include <cstdio>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "simulator/simulate.h"

using namespace parallax;

int main() {
  struct Run {
    const char* label;
    int dp;
    double measured_ms;
  };
  const Run runs[] = {{"1 GPU", 1, 152.97}, {"DDP 4 GPUs", 4, 171.1}};
  std::printf("| run | measured ms | predicted ms | error | mfu | compute ms | optimizer ms | dp comm ms |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const Run& r : runs) {
    Job j;
    j.model = ResolveModel("gpt-1.3b");
    j.cluster = ResolveCluster("h200x4-measured");
    j.training = {4LL * r.dp, 2048, 4, Precision::kAmp};
    j.parallel.dp = r.dp;
    j.parallel.attention = AttentionKernel::kFlash;
    const SimResult s = Simulate(j);
    const double ms = s.step_time_s * 1e3;
    std::printf("| %s | %.2f | %.2f | %+.1f%% | %.3f | %.2f | %.2f | %.2f |\n", r.label, r.measured_ms, ms,
                100 * (ms - r.measured_ms) / r.measured_ms, s.mfu, s.breakdown.compute_s * 1e3,
                s.breakdown.optimizer_s * 1e3, s.breakdown.dp_comm_s * 1e3);
  }
  return 0;
}
