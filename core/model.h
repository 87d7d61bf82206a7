// The transformer being trained: its shape, and the parameter and FLOP counts
// that everything else (memory model, cost model, MFU) derives from it.
// Dense GPT/Llama-style decoders and Mixtral-style MoE are covered; one
// ModelSpec describes the whole model, not a shard of it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace parallax {

enum class Norm { kLayerNorm, kRmsNorm };
enum class Activation { kGelu, kSwiGlu };
enum class Position { kLearned, kRope };

const std::vector<std::pair<std::string, Norm>>& NormNames();
const std::vector<std::pair<std::string, Activation>>& ActivationNames();
const std::vector<std::pair<std::string, Position>>& PositionNames();

struct MoeSpec {
  int num_experts = 0;             // 0: dense model
  int top_k = 0;                   // experts each token is routed to
  int64_t expert_ffn_hidden = 0;   // FFN width of one routed expert
  int shared_experts = 0;          // always-active experts of the same width
  int layer_frequency = 1;         // every k-th layer is MoE (1: all layers)

  bool enabled() const { return num_experts > 0; }
};

struct ModelSpec {
  std::string name;
  int num_layers = 0;
  int64_t hidden = 0;
  int heads = 0;
  int kv_heads = 0;        // == heads: MHA; 1: MQA; in between: GQA
  int64_t head_dim = 0;    // usually hidden / heads
  int64_t ffn_hidden = 0;  // dense FFN width (per gate for SwiGLU)
  int64_t vocab = 0;
  int64_t max_seq = 0;
  Norm norm = Norm::kLayerNorm;
  Activation activation = Activation::kGelu;
  Position position = Position::kLearned;
  bool tied_embeddings = true;
  bool linear_bias = true;  // biases on the attention and MLP linears (GPT yes, Llama no)
  bool qkv_bias = false;    // biases on Q, K, V only (Qwen2)
  double dropout = 0.0;     // hidden and attention dropout probability
  MoeSpec moe;

  bool IsMoeLayer(int layer) const {
    return moe.enabled() && (layer % moe.layer_frequency) == moe.layer_frequency - 1;
  }
  int NumMoeLayers() const;
  int64_t q_width() const { return heads * head_dim; }
  int64_t kv_width() const { return kv_heads * head_dim; }
};

// Parameter counts, split by where they live (which pipeline stage, which
// parallel group shards them).
struct ParamCounts {
  int64_t embedding = 0;        // word embeddings (first stage)
  int64_t position = 0;         // learned position table (first stage)
  int64_t lm_head = 0;          // untied output projection (last stage), 0 if tied
  int64_t final_norm = 0;       // last stage
  int64_t attention = 0;        // all layers: QKV + out proj (+ biases)
  int64_t norms = 0;            // all layers: the two per-layer norms
  int64_t dense_mlp = 0;        // all dense-FFN layers
  int64_t expert_mlp = 0;       // all routed experts of all MoE layers
  int64_t shared_expert_mlp = 0;
  int64_t router = 0;

  int64_t total() const;
  // Parameters a token touches: routed experts counted top_k of num_experts.
  int64_t active(const ModelSpec& m) const;
};

ParamCounts CountParams(const ModelSpec& m);

// Parameters of one transformer layer, split into the part sharded by tensor
// parallelism and the part that is not (norms); experts separately.
struct LayerParams {
  int64_t attention = 0;
  int64_t norms = 0;
  int64_t dense_mlp = 0;          // 0 in an MoE layer
  int64_t expert_mlp_each = 0;    // one routed expert (MoE layers)
  int64_t shared_expert_mlp = 0;  // all shared experts of the layer
  int64_t router = 0;
  int num_experts = 0;
};
LayerParams CountLayerParams(const ModelSpec& m, int layer);

// FLOPs, named convention: "model FLOPs" as in Narayanan et al. 2021 — three
// passes (forward, backward = 2x forward), no recomputation, full (non-causal)
// attention score and context GEMMs, logits included; MoE counts top_k routed
// experts (+ shared). Hardware FLOPs add the recomputed forward work.
struct FlopCounts {
  double forward_per_token = 0;        // one forward pass, one token, whole model
  double attention_forward_per_token = 0;  // the s-dependent score/context part
  double model_per_token() const { return 3 * forward_per_token; }
};
FlopCounts CountFlops(const ModelSpec& m, int64_t seq);

// Forward FLOPs of one layer per token at sequence `seq` (GEMMs + attention).
double LayerForwardFlopsPerToken(const ModelSpec& m, int layer, int64_t seq);

}  // namespace parallax
