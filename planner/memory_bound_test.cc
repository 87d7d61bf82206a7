// The model-state bound never exceeds the memory model's peak, over every
// valid configuration of mid-size spaces (dense and MoE, all precisions), and
// is close to it when activations are small.
#include "planner/memory_bound.h"

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "planner/space.h"
#include "simulator/memory_model.h"

namespace parallax {
namespace {

void ExpectBoundBelowPeak(const std::string& model, int gpus, Precision precision) {
  Job base;
  base.model = ResolveModel(model);
  base.cluster = ResolveCluster("dgx-h100");
  base.training.global_batch = 64;
  base.training.seq = 2048;
  base.training.precision = precision;
  SpaceOptions o;
  o.gpus = {gpus};
  o.max_vpp = 2;
  o.micro_batches = {1, 4};
  const Space space = EnumerateSpace(base, o);
  ASSERT_GT(space.candidates.size(), 100u);
  Job j = base;
  for (size_t i = 0; i < space.candidates.size(); i += 7) {
    ApplyCandidate(space, space.candidates[i], &j);
    const int64_t bound = PeakMemoryLowerBoundBytes(j);
    const int64_t peak = EstimateMemory(j).peak_bytes;
    ASSERT_LE(bound, peak) << model << " candidate " << i;
    ASSERT_GT(bound, 0);
  }
}

TEST(MemoryBound, NeverAboveThePeakDense) {
  ExpectBoundBelowPeak("llama2-70b", 64, Precision::kBf16Mixed);
  ExpectBoundBelowPeak("gpt-1.3b", 16, Precision::kAmp);
  ExpectBoundBelowPeak("llama3-8b", 32, Precision::kFp16Mixed);
}

TEST(MemoryBound, NeverAboveThePeakMoe) { ExpectBoundBelowPeak("mixtral-8x7b", 64, Precision::kBf16Mixed); }

TEST(MemoryBound, IsTheModelStatesOfTheHeaviestStage) {
  // One GPU, no ZeRO: 18 bytes per parameter (bf16-mixed) of the whole model.
  Job j;
  j.model = ResolveModel("gpt-1.3b");
  j.cluster = ResolveCluster("dgx-h100");
  j.training.global_batch = 1;
  j.training.seq = 2048;
  const double params = ParamsOnStage(j, 0).dense;
  EXPECT_EQ(PeakMemoryLowerBoundBytes(j), static_cast<int64_t>(18 * params));
}

}  // namespace
}  // namespace parallax
