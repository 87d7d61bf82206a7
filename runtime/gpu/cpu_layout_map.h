// Moves parameters between the CPU backend's flat layout (runtime/model_weights.h)
// and the GPU runtime's (gpt_layout.h), tensor by tensor, so both backends can
// start from the same model and their gradients can be compared element for
// element. Both layouts store every tensor row-major with the same shape; only
// the order and padding differ.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/gpu/gpt_layout.h"
#include "runtime/model_weights.h"

namespace parallax::gpu {

struct LayoutSpan {
  int64_t cpu_offset;
  size_t gpu_offset;
  size_t n;
};

// One span per parameter tensor (tied head counted once). Throws
// std::invalid_argument if the two layouts are not of the same model.
std::vector<LayoutSpan> MapCpuGpuLayouts(const ModelLayout& cpu, const GptLayout& gpu);

// gpu has gpu.total_elems (or more) elements, cpu has cpu.padded_size.
void CpuToGpuParams(const std::vector<LayoutSpan>& spans, const float* cpu, float* gpu);
void GpuToCpuParams(const std::vector<LayoutSpan>& spans, const float* gpu, float* cpu);

}  // namespace parallax::gpu
