// Where each parameter of a dense decoder (GPT: learned positions, LayerNorm,
// GELU, tied embeddings, biases; or Llama-style: RoPE, RMSNorm, SwiGLU, GQA,
// untied head) lives in the flat parameter buffers of the GPU runtime. The
// tensors, their shapes and their global parameter ids are those of the CPU
// backend's layout (runtime/model_weights.h BuildLayout), so both backends
// initialise the same model from one seed; only the order and padding differ.
// All GPU buffers (bf16 weights, fp32 master, grads, Adam m and v) share these
// element offsets. Tensors with weight decay (matrices and embeddings) come
// first and those without (norms, biases) after. Every tensor starts at a
// multiple of 128 elements (256-byte aligned bf16, as cuBLASLt wants); the
// padding stays zero. The buffers are tiled by gradient buckets, the ranges
// whose gradients become final together in backward (one per layer, the
// embeddings, the untied head, the no-decay group); each starts at a multiple
// of `bucket_align` so data parallelism can split every bucket evenly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"
#include "runtime/model_weights.h"

namespace parallax::gpu {

struct GpuTensor {
  std::string name;    // the CPU layout's name
  size_t offset, n;    // elements, in the GPU buffers
  int64_t cpu_offset;  // in the CPU backend's flat buffer
  ParamInit init;
  float init_std;      // kNormal only
};

struct GradBucket {
  size_t begin, end;  // [begin, end) elements, padding included
  bool decay;
};

struct GptLayout {
  // GPU offsets of each layer's tensors, -1 where the model has none
  // (LayerNorm biases, linear biases). wq, wk, wv, wo, w_up, w_down of a layer
  // lie in its bucket; SwiGLU's w_up is [gate | up] as on the CPU.
  std::vector<LayerOffsets> layers;
  int64_t embedding = -1, position = -1, final_norm_w = -1, final_norm_b = -1;
  int64_t lm_head = -1;  // == embedding when tied
  std::vector<GpuTensor> tensors;  // index = global parameter id (the CPU layout's)
  // Buckets in buffer order: embeddings, layers 0 .. L-1, untied head, no-decay.
  std::vector<GradBucket> buckets;
  size_t decay_elems = 0;  // [0, decay_elems) has weight decay
  size_t total_elems = 0;  // padded total, a multiple of bucket_align
  size_t param_count = 0;  // unpadded (matches core's CountParams for this model)
  int layer_bucket(int layer) const { return 1 + layer; }
};

// Throws std::invalid_argument when the model breaks a rule of this runtime
// (MoE, dropout, head_dim not 64/128, widths not multiples of 8, heads not a
// multiple of kv_heads). bucket_align: a positive multiple of 128.
GptLayout MakeGptLayout(const ModelSpec& m, size_t bucket_align = 128);

}  // namespace parallax::gpu
