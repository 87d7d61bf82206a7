// The gpu backend's prediction: its attention costs what the kernel measured,
// and its gpt-1.3b step lands near the step measured on an H200 (which was
// not used to set it).
#include "cli/gpu_prediction.h"

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "simulator/memory_model.h"

namespace parallax {
namespace {

Job Gpt13b() {
  Job j;
  j.model = ResolveModel("gpt-1.3b");  // 16 heads x 128
  j.cluster = ResolveCluster("h200x4-measured");
  j.training = {4, 2048, 4, Precision::kBf16Mixed};
  return j;
}

TEST(GpuPrediction, AttentionCostsWhatTheKernelMeasured) {
  const Job j = GpuRunJob(Gpt13b());
  const LayerCost c = CostModel(j, GpuRunCostParams(j)).Layer(0);
  // bench/kernels/RESULTS.md run 3: 0.338 + 0.978 ms per layer at 4 x 2048, d128.
  EXPECT_NEAR(c.forward.attention_s + c.backward_input.attention_s, 1.316e-3, 0.005e-3);
  // The profile's default assumes a kernel about twice as fast.
  const LayerCost generic = CostModel(j).Layer(0);
  EXPECT_LT(generic.forward.attention_s + generic.backward_input.attention_s, 0.7e-3);
}

TEST(GpuPrediction, StepNearTheMeasuredRun) {
  // bench/results/2026-11-29-final-h200.md: `parallax run --backend gpu
  // --model gpt-1.3b --cluster h200x4-measured --mbs 4`: 151.5 ms, 31.49 GiB.
  const Job j = Gpt13b();
  const SimResult r = PredictGpuRun(j);
  EXPECT_NEAR(r.step_time_s, 151.5e-3, 0.05 * 151.5e-3);
  EXPECT_EQ(GpuRunJob(j).training.activation_layout, ActivationLayout::kParallaxGpu);
  EXPECT_NEAR(EstimateMemory(GpuRunJob(j)).peak_bytes / 1073741824.0, 31.49, 0.01 * 31.49);
}

}  // namespace
}  // namespace parallax
