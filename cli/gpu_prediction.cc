// See gpu_prediction.h.
#include "cli/gpu_prediction.h"

namespace parallax {
namespace {

// kernels/attention.cu, bench/kernels/RESULTS.md run 3 (H200): TFLOP/s of the
// causal FLOPs (half of 4·b·s²·h forward; backward 2.5x the forward's).
constexpr double kFlashForwardFlopsPerS = 203e12;
constexpr double kFlashBackwardFlopsPerS = 175.6e12;

}  // namespace

Job GpuRunJob(const Job& job) {
  Job j = job;
  j.training.activation_layout = ActivationLayout::kParallaxGpu;
  return j;
}

// The cost model times a flash forward of F FLOPs at peak x gemm_max_efficiency
// x relative, the backward at 2.5x that: solve F/fwd + 2.5F/bwd = 3.5F / rate.
CostParams GpuRunCostParams(const Job& job) {
  CostParams p;
  const double rate = 3.5 / (1 / kFlashForwardFlopsPerS + 2.5 / kFlashBackwardFlopsPerS);
  p.flash_attention_relative_efficiency = rate / (job.cluster.gpu.peak_bf16_flops * job.cluster.gemm_max_efficiency);
  return p;
}

SimResult PredictGpuRun(const Job& job) {
  const Job j = GpuRunJob(job);
  return Simulate(j, GpuRunCostParams(j));
}

}  // namespace parallax
