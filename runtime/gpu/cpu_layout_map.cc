// CPU <-> GPU parameter layout map (see cpu_layout_map.h).
#include "runtime/gpu/cpu_layout_map.h"

#include <algorithm>
#include <stdexcept>

namespace parallax::gpu {

std::vector<LayoutSpan> MapCpuGpuLayouts(const ModelLayout& cpu, const GptLayout& gpu) {
  if (gpu.tensors.size() != cpu.tensors.size() || gpu.param_count != size_t(cpu.num_params))
    throw std::invalid_argument("MapCpuGpuLayouts: layouts of different models");
  std::vector<LayoutSpan> s;
  for (size_t id = 0; id < cpu.tensors.size(); ++id) {
    const ParamTensor& c = cpu.tensors[id];
    const GpuTensor& g = gpu.tensors[id];
    if (c.offset != g.cpu_offset || size_t(c.size()) != g.n || c.name != g.name)
      throw std::invalid_argument("MapCpuGpuLayouts: tensor " + c.name + " differs");
    s.push_back({c.offset, g.offset, g.n});
  }
  return s;
}

void CpuToGpuParams(const std::vector<LayoutSpan>& spans, const float* cpu, float* gpu) {
  for (const auto& x : spans) std::copy(cpu + x.cpu_offset, cpu + x.cpu_offset + x.n, gpu + x.gpu_offset);
}

void GpuToCpuParams(const std::vector<LayoutSpan>& spans, const float* gpu, float* cpu) {
  for (const auto& x : spans) std::copy(gpu + x.gpu_offset, gpu + x.gpu_offset + x.n, cpu + x.cpu_offset);
}

}  // namespace parallax::gpu
