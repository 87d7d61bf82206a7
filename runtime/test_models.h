// Tiny models for the runtime tests: the gpt-tiny preset, and a Llama-style
// model with GQA (RMSNorm, SwiGLU, RoPE, untied head, no biases) small enough
// for finite differences over every tensor.
#pragma once

#include "core/model.h"
#include "core/model_io.h"

namespace parallax::testing {

inline ModelSpec GptTiny() { return ResolveModel("gpt-tiny"); }

// Turns a dense spec into the Llama recipe: RMSNorm, SwiGLU, RoPE, untied head, no biases.
inline ModelSpec LlamaStyle(ModelSpec m) {
  m.norm = Norm::kRmsNorm;
  m.activation = Activation::kSwiGlu;
  m.position = Position::kRope;
  m.tied_embeddings = false;
  m.linear_bias = false;
  return m;
}

inline ModelSpec LlamaTiny() {
  ModelSpec m;
  m.name = "llama-tiny";
  m.num_layers = 2;
  m.hidden = 32;
  m.heads = 4;
  m.kv_heads = 2;
  m.head_dim = 8;
  m.ffn_hidden = 48;
  m.vocab = 64;
  m.max_seq = 16;
  return LlamaStyle(m);
}

}  // namespace parallax::testing
