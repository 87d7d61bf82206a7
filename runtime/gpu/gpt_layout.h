// Where each parameter of a GPT (learned positions, LayerNorm, GELU, tied
// embeddings, linear biases) lives in the flat parameter buffers of the GPU
// runtime. All buffers (bf16 weights, fp32 master, grads, Adam m and v) share
// these element offsets. Tensors with weight decay (the 2-D matrices and
// embeddings) come first and those without (norms, biases) after, so AdamW runs
// as two contiguous groups. Every offset is a multiple of 128 elements (256-byte
// aligned bf16, as cuBLASLt wants); the padding stays zero.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/model.h"

namespace parallax::gpu {

enum class ParamInit { kNormal, kNormalScaledResidual, kOnes, kZeros };

struct ParamTensor {
  std::string name;
  size_t offset;  // elements
  size_t n;
  ParamInit init;
};

struct GptLayerOffsets {
  size_t ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
};

struct GptLayout {
  size_t wte = 0, wpe = 0, lnf_w = 0, lnf_b = 0;
  std::vector<GptLayerOffsets> layers;
  std::vector<ParamTensor> tensors;
  size_t decay_elems = 0;  // [0, decay_elems) has weight decay
  size_t total_elems = 0;  // padded total
  size_t param_count = 0;  // unpadded (matches core's CountParams for this model)
};

// Throws std::invalid_argument when the model is not the GPT this runtime
// builds (RMSNorm, SwiGLU, RoPE, untied, GQA, MoE) or breaks a kernel's shape
// rule (head_dim 64/128, hidden % 8).
GptLayout MakeGptLayout(const ModelSpec& m);

}  // namespace parallax::gpu
