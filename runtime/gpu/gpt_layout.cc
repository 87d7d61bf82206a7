// GPT parameter layout (see gpt_layout.h).
#include "runtime/gpu/gpt_layout.h"

#include <stdexcept>

namespace parallax::gpu {
namespace {

constexpr size_t kAlign = 128;

void require(bool ok, const std::string& rule) {
  if (!ok) throw std::invalid_argument("gpu runtime: " + rule);
}

}  // namespace

GptLayout MakeGptLayout(const ModelSpec& m) {
  require(m.norm == Norm::kLayerNorm, "norm must be layernorm (GPT)");
  require(m.activation == Activation::kGelu, "activation must be gelu (GPT)");
  require(m.position == Position::kLearned, "position must be learned (GPT)");
  require(m.tied_embeddings, "tied_embeddings must be true (GPT)");
  require(m.linear_bias, "linear_bias must be true (GPT)");
  require(!m.moe.enabled(), "MoE layers are not supported");
  require(m.kv_heads == m.heads, "kv_heads must equal heads (GPT is MHA)");
  require(m.head_dim == 64 || m.head_dim == 128, "head_dim must be 64 or 128 (flash attention)");
  require(m.heads * m.head_dim == m.hidden, "heads * head_dim must equal hidden");
  require(m.hidden % 8 == 0 && m.ffn_hidden % 8 == 0 && m.vocab % 8 == 0,
          "hidden, ffn_hidden and vocab must be multiples of 8");

  GptLayout L;
  size_t cursor = 0;
  auto add = [&](const std::string& name, size_t n, ParamInit init) {
    const size_t off = cursor;
    L.tensors.push_back({name, off, n, init});
    L.param_count += n;
    cursor = (cursor + n + kAlign - 1) / kAlign * kAlign;
    return off;
  };
  const size_t h = m.hidden, f = m.ffn_hidden;
  L.layers.resize(m.num_layers);
  // Decay group: embeddings and matrices.
  L.wte = add("wte", size_t(m.vocab) * h, ParamInit::kNormal);
  L.wpe = add("wpe", size_t(m.max_seq) * h, ParamInit::kNormal);
  for (int l = 0; l < m.num_layers; ++l) {
    const std::string p = "h" + std::to_string(l) + ".";
    auto& o = L.layers[l];
    o.qkv_w = add(p + "qkv_w", 3 * h * h, ParamInit::kNormal);
    o.proj_w = add(p + "proj_w", h * h, ParamInit::kNormalScaledResidual);
    o.fc1_w = add(p + "fc1_w", f * h, ParamInit::kNormal);
    o.fc2_w = add(p + "fc2_w", h * f, ParamInit::kNormalScaledResidual);
  }
  L.decay_elems = cursor;
  for (int l = 0; l < m.num_layers; ++l) {
    const std::string p = "h" + std::to_string(l) + ".";
    auto& o = L.layers[l];
    o.ln1_w = add(p + "ln1_w", h, ParamInit::kOnes);
    o.ln1_b = add(p + "ln1_b", h, ParamInit::kZeros);
    o.qkv_b = add(p + "qkv_b", 3 * h, ParamInit::kZeros);
    o.proj_b = add(p + "proj_b", h, ParamInit::kZeros);
    o.ln2_w = add(p + "ln2_w", h, ParamInit::kOnes);
    o.ln2_b = add(p + "ln2_b", h, ParamInit::kZeros);
    o.fc1_b = add(p + "fc1_b", f, ParamInit::kZeros);
    o.fc2_b = add(p + "fc2_b", h, ParamInit::kZeros);
  }
  L.lnf_w = add("lnf_w", h, ParamInit::kOnes);
  L.lnf_b = add("lnf_b", h, ParamInit::kZeros);
  L.total_elems = cursor;
  return L;
}

}  // namespace parallax::gpu
