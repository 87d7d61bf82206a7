// fp32 CPU forward and backward of the same GPT as gpt_model.h, composed from
// the reference ops in kernels/cpu, over the GPU runtime's parameter layout.
// It is the independent number the GPU step is checked against in tests (the
// CPU training backend in runtime/ is meant for the same job; until it lands
// this is the minimum the GPU tests need). Tiny models only (naive GEMMs).
#pragma once
#include <cstdint>
#include <vector>

#include "core/model.h"
#include "runtime/gpu/gpt_layout.h"

namespace parallax::gpu {

// Mean cross-entropy of targets given tokens ([batch, seq] each). grads (same
// layout as params, layout.total_elems) receives d loss / d params (overwritten).
float GptReferenceLossAndGrads(const ModelSpec& m, const GptLayout& layout,
                               const std::vector<float>& params,
                               const std::vector<int32_t>& tokens,
                               const std::vector<int32_t>& targets, int batch, int seq,
                               std::vector<float>* grads);

}  // namespace parallax::gpu
