// Parameter layout and deterministic initialisation of the CPU model
// (GPT-2 init: N(0, 0.02), residual output projections 0.02 / sqrt(2 L)).
#include "runtime/model_weights.h"

#include <cmath>

#include "core/errors.h"
#include "runtime/hash.h"

namespace parallax {
namespace {

class LayoutBuilder {
 public:
  explicit LayoutBuilder(ModelLayout& l) : l_(l) {}
  int64_t Add(const std::string& name, int64_t rows, int64_t cols, ParamInit init, float std = 0) {
    ParamTensor t;
    t.name = name;
    t.offset = l_.num_params;
    t.rows = rows;
    t.cols = cols;
    t.init = init;
    t.init_std = std;
    t.weight_decay = cols > 1;
    l_.num_params += t.size();
    l_.tensors.push_back(t);
    return t.offset;
  }

 private:
  ModelLayout& l_;
};

}  // namespace

float HashNormal(uint64_t seed, uint64_t param_id, uint64_t index) {
  return HashNormalOf(seed, param_id, index);
}

ModelLayout BuildLayout(const ModelSpec& m, int64_t pad_multiple) {
  if (m.moe.enabled()) throw SpecError("model.moe: the cpu backend runs dense models only");
  if (m.dropout != 0) throw SpecError("model.dropout: the cpu backend runs dropout = 0 only");
  if (m.position == Position::kRope && m.head_dim % 2)
    throw SpecError("model.head_dim: RoPE needs an even head_dim, got " + std::to_string(m.head_dim));
  if (m.heads % m.kv_heads)
    throw SpecError("model.kv_heads: must divide heads (" + std::to_string(m.heads) + ")");
  if (pad_multiple < 1) throw std::invalid_argument("BuildLayout: pad_multiple must be >= 1");
  ModelLayout l;
  l.spec = m;
  LayoutBuilder b(l);
  const int64_t h = m.hidden, q = m.q_width(), kv = m.kv_width(), f = m.ffn_hidden;
  const float std = 0.02f, out_std = 0.02f / std::sqrt(2.0f * m.num_layers);
  const bool layernorm = m.norm == Norm::kLayerNorm;
  const bool swiglu = m.activation == Activation::kSwiGlu;
  l.embedding = b.Add("embedding", m.vocab, h, ParamInit::kNormal, std);
  if (m.position == Position::kLearned) l.position = b.Add("position", m.max_seq, h, ParamInit::kNormal, std);
  for (int i = 0; i < m.num_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    LayerOffsets o;
    o.norm1_w = b.Add(p + "norm1.weight", h, 1, ParamInit::kOnes);
    if (layernorm) o.norm1_b = b.Add(p + "norm1.bias", h, 1, ParamInit::kZeros);
    o.wq = b.Add(p + "attn.wq", q, h, ParamInit::kNormal, std);
    o.wk = b.Add(p + "attn.wk", kv, h, ParamInit::kNormal, std);
    o.wv = b.Add(p + "attn.wv", kv, h, ParamInit::kNormal, std);
    if (m.linear_bias || m.qkv_bias) {
      o.bq = b.Add(p + "attn.bq", q, 1, ParamInit::kZeros);
      o.bk = b.Add(p + "attn.bk", kv, 1, ParamInit::kZeros);
      o.bv = b.Add(p + "attn.bv", kv, 1, ParamInit::kZeros);
    }
    o.wo = b.Add(p + "attn.wo", h, q, ParamInit::kNormal, out_std);
    if (m.linear_bias) o.bo = b.Add(p + "attn.bo", h, 1, ParamInit::kZeros);
    o.norm2_w = b.Add(p + "norm2.weight", h, 1, ParamInit::kOnes);
    if (layernorm) o.norm2_b = b.Add(p + "norm2.bias", h, 1, ParamInit::kZeros);
    const int64_t up = swiglu ? 2 * f : f;
    o.w_up = b.Add(p + "mlp.w_up", up, h, ParamInit::kNormal, std);
    if (m.linear_bias) o.b_up = b.Add(p + "mlp.b_up", up, 1, ParamInit::kZeros);
    o.w_down = b.Add(p + "mlp.w_down", h, f, ParamInit::kNormal, out_std);
    if (m.linear_bias) o.b_down = b.Add(p + "mlp.b_down", h, 1, ParamInit::kZeros);
    l.layers.push_back(o);
  }
  l.final_norm_w = b.Add("final_norm.weight", h, 1, ParamInit::kOnes);
  if (layernorm) l.final_norm_b = b.Add("final_norm.bias", h, 1, ParamInit::kZeros);
  l.lm_head = m.tied_embeddings ? l.embedding : b.Add("lm_head", m.vocab, h, ParamInit::kNormal, std);
  l.padded_size = (l.num_params + pad_multiple - 1) / pad_multiple * pad_multiple;
  return l;
}

void InitParams(const ModelLayout& layout, uint64_t seed, float* params) {
  for (size_t id = 0; id < layout.tensors.size(); ++id) {
    const ParamTensor& t = layout.tensors[id];
    float* p = params + t.offset;
    for (int64_t i = 0; i < t.size(); ++i) {
      p[i] = t.init == ParamInit::kOnes ? 1.0f
             : t.init == ParamInit::kZeros ? 0.0f
                                           : t.init_std * HashNormal(seed, id, static_cast<uint64_t>(i));
    }
  }
  for (int64_t i = layout.num_params; i < layout.padded_size; ++i) params[i] = 0;
}

}  // namespace parallax
