// CPU <-> GPU parameter layout map (see cpu_layout_map.h).
#include "runtime/gpu/cpu_layout_map.h"

#include <algorithm>
#include <stdexcept>

namespace parallax::gpu {

std::vector<LayoutSpan> MapCpuGpuLayouts(const ModelLayout& cpu, const GptLayout& gpu) {
  const ModelSpec& m = cpu.spec;
  if (int(gpu.layers.size()) != m.num_layers || gpu.param_count != size_t(cpu.num_params))
    throw std::invalid_argument("MapCpuGpuLayouts: layouts of different models");
  const size_t h = m.hidden, f = m.ffn_hidden;
  std::vector<LayoutSpan> s;
  auto add = [&](int64_t c, size_t g, size_t n) {
    if (c < 0) throw std::invalid_argument("MapCpuGpuLayouts: CPU layout lacks a GPT tensor");
    s.push_back({c, g, n});
  };
  add(cpu.embedding, gpu.wte, size_t(m.vocab) * h);
  add(cpu.position, gpu.wpe, size_t(m.max_seq) * h);
  for (int l = 0; l < m.num_layers; ++l) {
    const LayerOffsets& c = cpu.layers[l];
    const GptLayerOffsets& g = gpu.layers[l];
    add(c.norm1_w, g.ln1_w, h);
    add(c.norm1_b, g.ln1_b, h);
    add(c.wq, g.qkv_w, h * h);
    add(c.wk, g.qkv_w + h * h, h * h);
    add(c.wv, g.qkv_w + 2 * h * h, h * h);
    add(c.bq, g.qkv_b, h);
    add(c.bk, g.qkv_b + h, h);
    add(c.bv, g.qkv_b + 2 * h, h);
    add(c.wo, g.proj_w, h * h);
    add(c.bo, g.proj_b, h);
    add(c.norm2_w, g.ln2_w, h);
    add(c.norm2_b, g.ln2_b, h);
    add(c.w_up, g.fc1_w, f * h);
    add(c.b_up, g.fc1_b, f);
    add(c.w_down, g.fc2_w, h * f);
    add(c.b_down, g.fc2_b, h);
  }
  add(cpu.final_norm_w, gpu.lnf_w, h);
  add(cpu.final_norm_b, gpu.lnf_b, h);
  size_t covered = 0;
  for (const auto& x : s) covered += x.n;
  if (covered != gpu.param_count)
    throw std::invalid_argument("MapCpuGpuLayouts: spans do not cover every parameter");
  return s;
}

void CpuToGpuParams(const std::vector<LayoutSpan>& spans, const float* cpu, float* gpu) {
  for (const auto& x : spans) std::copy(cpu + x.cpu_offset, cpu + x.cpu_offset + x.n, gpu + x.gpu_offset);
}

void GpuToCpuParams(const std::vector<LayoutSpan>& spans, const float* gpu, float* cpu) {
  for (const auto& x : spans) std::copy(gpu + x.gpu_offset, gpu + x.gpu_offset + x.n, cpu + x.cpu_offset);
}

}  // namespace parallax::gpu
