// The parameter layout of a dense decoder built from core's ModelSpec, as flat
// fp32 buffers: GPT-style (learned positions, LayerNorm, GELU, tied embeddings)
// or Llama-style (RoPE, RMSNorm, SwiGLU, GQA, untied lm_head), biases per
// linear_bias / qkv_bias. Each tensor has a global parameter id (its index in
// the layout) and is initialised from a counter-based hash of (seed, id,
// element), so every plan and every shard starts from the same model no
// matter which rank builds which part. Params, grads and Adam m/v share the
// layout; the flat size is padded so ZeRO shards and buckets split evenly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"

namespace parallax {

enum class ParamInit { kNormal, kOnes, kZeros };

struct ParamTensor {
  std::string name;   // "layers.3.attn.wq", "embedding", ...
  int64_t offset = 0; // into the flat buffer
  int64_t rows = 0, cols = 0;  // cols = 1 for vectors
  ParamInit init = ParamInit::kNormal;
  float init_std = 0;  // kNormal only
  bool weight_decay = false;  // matrices decay; norms and biases do not
  int64_t size() const { return rows * cols; }
};

// Offsets (into the flat buffer) of one layer's tensors; -1 if absent.
struct LayerOffsets {
  int64_t norm1_w = -1, norm1_b = -1, norm2_w = -1, norm2_b = -1;
  int64_t wq = -1, wk = -1, wv = -1, wo = -1, bq = -1, bk = -1, bv = -1, bo = -1;
  // GELU: w_up [f, h], w_down [h, f]; SwiGLU: w_up [2f, h] = [gate | up], w_down [h, f].
  int64_t w_up = -1, b_up = -1, w_down = -1, b_down = -1;
};

struct ModelLayout {
  ModelSpec spec;
  std::vector<ParamTensor> tensors;
  std::vector<LayerOffsets> layers;
  int64_t embedding = -1, position = -1, final_norm_w = -1, final_norm_b = -1;
  int64_t lm_head = -1;        // == embedding when tied
  int64_t num_params = 0;      // sum of tensor sizes (== CountParams(spec).total())
  int64_t padded_size = 0;     // flat buffer length, a multiple of `pad_multiple`
};

// Throws SpecError for models the CPU backend cannot run (MoE, dropout > 0,
// head_dim odd with RoPE). `pad_multiple` (e.g. dp x buckets) rounds the flat
// size up so it splits into equal parts.
ModelLayout BuildLayout(const ModelSpec& spec, int64_t pad_multiple = 1);

// Standard normal from a counter-based hash (SplitMix64 + Box-Muller) of
// (seed, parameter id, element index): the same value whoever computes it.
float HashNormal(uint64_t seed, uint64_t param_id, uint64_t index);

// Fills `params` (padded_size floats) deterministically; padding is zero.
void InitParams(const ModelLayout& layout, uint64_t seed, float* params);

}  // namespace parallax
