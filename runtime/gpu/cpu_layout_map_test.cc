// The CPU <-> GPU layout map is a bijection on the parameters: a round trip
// restores every CPU value, every tensor lands on the GPU tensor of the same
// role and size, and GPU padding is never touched.
#include "runtime/gpu/cpu_layout_map.h"

#include <numeric>

#include "core/model_io.h"
#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

TEST(CpuLayoutMap, RoundTripsEveryParameterAndLeavesPaddingAlone) {
  const ModelSpec m = ResolveModel("gpt2-124m");
  const ModelLayout cpu = BuildLayout(m, 7);
  const GptLayout gpu = MakeGptLayout(m);
  const auto spans = MapCpuGpuLayouts(cpu, gpu);
  std::vector<float> c(cpu.padded_size), back(cpu.padded_size, 0.0f);
  std::iota(c.begin(), c.begin() + cpu.num_params, 1.0f);  // distinct (exact up to 2^24)
  std::vector<float> g(gpu.total_elems, -1.0f);
  CpuToGpuParams(spans, c.data(), g.data());
  GpuToCpuParams(spans, g.data(), back.data());
  EXPECT_EQ(back, c);
  size_t untouched = 0;
  for (float x : g) untouched += x == -1.0f;
  EXPECT_EQ(untouched, gpu.total_elems - gpu.param_count);
  // The CPU's layer-0 wk lands in the GPU's second third of layer-0 qkv_w.
  EXPECT_EQ(g[gpu.layers[0].qkv_w + 768 * 768], c[cpu.layers[0].wk]);
  // The tied head is one tensor: the GPU's wte holds the CPU's embedding.
  EXPECT_EQ(g[gpu.wte + 5], c[cpu.embedding + 5]);
}

}  // namespace
}  // namespace parallax::gpu
