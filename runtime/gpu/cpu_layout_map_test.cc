// The CPU <-> GPU layout map is a bijection on the parameters of a GPT and of a
// Llama-style model: a round trip restores every CPU value, every tensor lands
// on the GPU tensor of the same role and size, and GPU padding is never touched.
#include "runtime/gpu/cpu_layout_map.h"

#include <numeric>

#include "core/model_io.h"
#include "runtime/gpu/gpu_test_models.h"
#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

TEST(CpuLayoutMap, RoundTripsEveryParameterAndLeavesPaddingAlone) {
  for (const ModelSpec& m : {ResolveModel("gpt2-124m"), testing::TinyLlama()}) {
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
    // Every tensor lands on the GPU tensor of the same role.
    EXPECT_EQ(g[gpu.layers[1].wk + 3], c[cpu.layers[1].wk + 3]);
    EXPECT_EQ(g[gpu.layers[0].w_down], c[cpu.layers[0].w_down]);
    EXPECT_EQ(g[gpu.final_norm_w + 1], c[cpu.final_norm_w + 1]);
    // Tied: the GPU's head is its embedding; untied: the CPU's lm_head.
    EXPECT_EQ(g[gpu.lm_head + 5], c[cpu.lm_head + 5]);
  }
}

}  // namespace
}  // namespace parallax::gpu
