// Tiny models for the GPU runtime's tests, shaped for its kernels (head_dim 64
// for flash attention, widths multiples of 8): a GPT (MHA, LayerNorm, GELU,
// learned positions, tied head, biases) and a Llama-style model (GQA, RMSNorm,
// SwiGLU, RoPE, untied head, no biases).
#pragma once

#include "core/model.h"
#include "runtime/test_models.h"

namespace parallax::gpu::testing {

inline ModelSpec TinyGpt() {
  ModelSpec m;
  m.name = "gpt-test";
  m.num_layers = 2;
  m.hidden = 128;
  m.heads = 2;
  m.kv_heads = 2;
  m.head_dim = 64;
  m.ffn_hidden = 512;
  m.vocab = 256;
  m.max_seq = 64;
  return m;
}

inline ModelSpec TinyLlama() {
  ModelSpec m;
  m.name = "llama-test";
  m.num_layers = 2;
  m.hidden = 256;
  m.heads = 4;
  m.kv_heads = 2;
  m.head_dim = 64;
  m.ffn_hidden = 344;
  m.vocab = 256;
  m.max_seq = 64;
  return parallax::testing::LlamaStyle(m);
}

}  // namespace parallax::gpu::testing
