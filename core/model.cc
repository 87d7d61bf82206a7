// Parameter and FLOP counting, in one place, with one named convention.
// Checked against Narayanan et al. 2021 (Sec. 5.1 / Appendix: 12lh²(1 + 13/12h
// + (V+s)/12lh)), Llama-2/3 and Mixtral published totals in core/model_test.cc.
#include "core/model.h"

namespace parallax {

const std::vector<std::pair<std::string, Norm>>& NormNames() {
  static const std::vector<std::pair<std::string, Norm>> t = {{"layernorm", Norm::kLayerNorm},
                                                              {"rmsnorm", Norm::kRmsNorm}};
  return t;
}
const std::vector<std::pair<std::string, Activation>>& ActivationNames() {
  static const std::vector<std::pair<std::string, Activation>> t = {{"gelu", Activation::kGelu},
                                                                    {"swiglu", Activation::kSwiGlu}};
  return t;
}
const std::vector<std::pair<std::string, Position>>& PositionNames() {
  static const std::vector<std::pair<std::string, Position>> t = {{"learned", Position::kLearned},
                                                                  {"rope", Position::kRope}};
  return t;
}

int ModelSpec::NumMoeLayers() const {
  int n = 0;
  for (int l = 0; l < num_layers; ++l) n += IsMoeLayer(l);
  return n;
}

namespace {

int64_t NormParams(const ModelSpec& m) { return m.norm == Norm::kLayerNorm ? 2 * m.hidden : m.hidden; }

// One FFN of width f (weights + biases).
int64_t MlpParams(const ModelSpec& m, int64_t f) {
  const int64_t h = m.hidden;
  if (m.activation == Activation::kSwiGlu) {
    return 3 * h * f + (m.linear_bias ? 2 * f + h : 0);
  }
  return 2 * h * f + (m.linear_bias ? f + h : 0);
}

}  // namespace

LayerParams CountLayerParams(const ModelSpec& m, int layer) {
  LayerParams p;
  const int64_t h = m.hidden, q = m.q_width(), kv = m.kv_width();
  p.attention = h * (q + 2 * kv) + q * h + (m.linear_bias ? q + 2 * kv + h : 0) +
                (!m.linear_bias && m.qkv_bias ? q + 2 * kv : 0);
  p.norms = 2 * NormParams(m);
  if (m.IsMoeLayer(layer)) {
    p.num_experts = m.moe.num_experts;
    p.expert_mlp_each = MlpParams(m, m.moe.expert_ffn_hidden);
    p.shared_expert_mlp = m.moe.shared_experts * MlpParams(m, m.moe.expert_ffn_hidden);
    p.router = h * m.moe.num_experts;
  } else {
    p.dense_mlp = MlpParams(m, m.ffn_hidden);
  }
  return p;
}

ParamCounts CountParams(const ModelSpec& m) {
  ParamCounts c;
  c.embedding = m.vocab * m.hidden;
  c.position = m.position == Position::kLearned ? m.max_seq * m.hidden : 0;
  c.lm_head = m.tied_embeddings ? 0 : m.vocab * m.hidden;
  c.final_norm = NormParams(m);
  for (int l = 0; l < m.num_layers; ++l) {
    const LayerParams p = CountLayerParams(m, l);
    c.attention += p.attention;
    c.norms += p.norms;
    c.dense_mlp += p.dense_mlp;
    c.expert_mlp += p.expert_mlp_each * p.num_experts;
    c.shared_expert_mlp += p.shared_expert_mlp;
    c.router += p.router;
  }
  return c;
}

int64_t ParamCounts::total() const {
  return embedding + position + lm_head + final_norm + attention + norms + dense_mlp + expert_mlp +
         shared_expert_mlp + router;
}

int64_t ParamCounts::active(const ModelSpec& m) const {
  if (!m.moe.enabled()) return total();
  return total() - expert_mlp + expert_mlp / m.moe.num_experts * m.moe.top_k;
}

double LayerForwardFlopsPerToken(const ModelSpec& m, int layer, int64_t seq) {
  // GEMM weights only (biases and norms are not matrix work).
  const double h = static_cast<double>(m.hidden);
  double gemm = h * (m.q_width() + 2 * m.kv_width()) + m.q_width() * h;
  if (m.IsMoeLayer(layer)) {
    const int per = m.activation == Activation::kSwiGlu ? 3 : 2;
    gemm += (m.moe.top_k + m.moe.shared_experts) * per * h * m.moe.expert_ffn_hidden;
    gemm += h * m.moe.num_experts;  // router
  } else {
    gemm += (m.activation == Activation::kSwiGlu ? 3 : 2) * h * m.ffn_hidden;
  }
  // Scores QK^T and context AV: 2 GEMMs of s x d per head per token.
  const double attention = 4.0 * seq * m.q_width();
  return 2 * gemm + attention;
}

FlopCounts CountFlops(const ModelSpec& m, int64_t seq) {
  FlopCounts f;
  for (int l = 0; l < m.num_layers; ++l) f.forward_per_token += LayerForwardFlopsPerToken(m, l, seq);
  f.attention_forward_per_token = 4.0 * seq * m.q_width() * m.num_layers;
  f.forward_per_token += 2.0 * m.hidden * m.vocab;  // logits
  return f;
}

}  // namespace parallax
