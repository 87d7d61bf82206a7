// GPU parameter layout (see gpt_layout.h).
#include "runtime/gpu/gpt_layout.h"

#include <stdexcept>
#include <unordered_map>

namespace parallax::gpu {
namespace {

constexpr size_t kAlign = 128;

void require(bool ok, const std::string& rule) {
  if (!ok) throw std::invalid_argument("gpu runtime: " + rule);
}

size_t RoundUp(size_t x, size_t unit) { return (x + unit - 1) / unit * unit; }

}  // namespace

GptLayout MakeGptLayout(const ModelSpec& m, size_t bucket_align) {
  require(!m.moe.enabled(), "MoE layers are not supported");
  require(m.dropout == 0, "dropout must be 0");
  require(m.head_dim == 64 || m.head_dim == 128, "head_dim must be 64 or 128 (flash attention)");
  require(m.kv_heads >= 1 && m.heads % m.kv_heads == 0, "heads must be a multiple of kv_heads");
  require(m.hidden % 8 == 0 && m.ffn_hidden % 8 == 0 && m.vocab % 8 == 0,
          "hidden, ffn_hidden and vocab must be multiples of 8");
  if (bucket_align == 0 || bucket_align % kAlign)
    throw std::invalid_argument("MakeGptLayout: bucket_align must be a positive multiple of 128");
  const ModelLayout cpu = BuildLayout(m);

  GptLayout L;
  L.tensors.resize(cpu.tensors.size());
  size_t cursor = 0;
  std::unordered_map<int64_t, size_t> id_at;  // CPU offset -> global parameter id
  for (size_t id = 0; id < cpu.tensors.size(); ++id) id_at[cpu.tensors[id].offset] = id;
  // Places the CPU tensor at `cpu_offset` (-1: absent) next; returns its GPU offset.
  auto place = [&](int64_t cpu_offset) -> int64_t {
    if (cpu_offset < 0) return -1;
    const ParamTensor& t = cpu.tensors.at(id_at.at(cpu_offset));
    L.tensors[id_at[cpu_offset]] = {t.name, cursor, size_t(t.size()), t.offset, t.init, t.init_std};
    L.param_count += t.size();
    const size_t off = cursor;
    cursor = RoundUp(cursor + t.size(), kAlign);
    return int64_t(off);
  };
  auto close_bucket = [&](bool decay) {
    const size_t begin = L.buckets.empty() ? 0 : L.buckets.back().end;
    cursor = RoundUp(cursor, bucket_align);
    L.buckets.push_back({begin, cursor, decay});
  };
  L.embedding = place(cpu.embedding);
  L.position = place(cpu.position);
  close_bucket(true);
  L.layers.resize(m.num_layers);
  for (int l = 0; l < m.num_layers; ++l) {
    const LayerOffsets& c = cpu.layers[l];
    LayerOffsets& o = L.layers[l];
    o.wq = place(c.wq);
    o.wk = place(c.wk);
    o.wv = place(c.wv);
    o.wo = place(c.wo);
    o.w_up = place(c.w_up);
    o.w_down = place(c.w_down);
    close_bucket(true);
  }
  L.lm_head = m.tied_embeddings ? L.embedding : place(cpu.lm_head);
  if (!m.tied_embeddings) close_bucket(true);
  L.decay_elems = cursor;
  for (int l = 0; l < m.num_layers; ++l) {
    const LayerOffsets& c = cpu.layers[l];
    LayerOffsets& o = L.layers[l];
    o.norm1_w = place(c.norm1_w);
    o.norm1_b = place(c.norm1_b);
    o.bq = place(c.bq);
    o.bk = place(c.bk);
    o.bv = place(c.bv);
    o.bo = place(c.bo);
    o.norm2_w = place(c.norm2_w);
    o.norm2_b = place(c.norm2_b);
    o.b_up = place(c.b_up);
    o.b_down = place(c.b_down);
  }
  L.final_norm_w = place(cpu.final_norm_w);
  L.final_norm_b = place(cpu.final_norm_b);
  close_bucket(false);
  L.total_elems = cursor;
  if (L.param_count != size_t(cpu.num_params))
    throw std::logic_error("MakeGptLayout: not every CPU tensor was placed");
  return L;
}

}  // namespace parallax::gpu
