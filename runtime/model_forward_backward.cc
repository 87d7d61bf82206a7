// The CPU model's layer sequence: embedding (+ learned positions), per layer
// pre-norm attention (Q, K, V projections, RoPE, causal GQA attention, output
// projection, residual) and pre-norm MLP (GELU or SwiGLU, residual), final
// norm, logits through the (tied or separate) output matrix, fused CE.
#include "runtime/model_forward_backward.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/cpu/ops.h"

namespace parallax {
namespace {

using cpu::matmul;

struct Dims {
  int T, h, q, kv, f, up, V, heads, kv_heads, head_dim;
  bool layernorm, swiglu, rope;
};

Dims DimsOf(const ModelSpec& m, int batch, int seq) {
  Dims d;
  d.T = batch * seq;
  d.h = static_cast<int>(m.hidden);
  d.q = static_cast<int>(m.q_width());
  d.kv = static_cast<int>(m.kv_width());
  d.f = static_cast<int>(m.ffn_hidden);
  d.swiglu = m.activation == Activation::kSwiGlu;
  d.up = d.swiglu ? 2 * d.f : d.f;
  d.V = static_cast<int>(m.vocab);
  d.heads = m.heads;
  d.kv_heads = m.kv_heads;
  d.head_dim = static_cast<int>(m.head_dim);
  d.layernorm = m.norm == Norm::kLayerNorm;
  d.rope = m.position == Position::kRope;
  return d;
}

const float* P(const float* params, int64_t offset) { return offset < 0 ? nullptr : params + offset; }
float* G(float* grads, int64_t offset) { return offset < 0 ? nullptr : grads + offset; }

void NormForward(const Dims& d, const float* x, const float* w, const float* b, float* y, std::vector<float>& mean,
                 std::vector<float>& rstd) {
  rstd.resize(d.T);
  if (d.layernorm) {
    mean.resize(d.T);
    cpu::layernorm_forward(x, w, b, d.T, d.h, kNormEps, y, mean.data(), rstd.data());
  } else {
    cpu::rmsnorm_forward(x, w, d.T, d.h, kNormEps, y, rstd.data());
  }
}

void NormBackward(const Dims& d, const float* dy, const float* x, const float* w, const std::vector<float>& mean,
                  const std::vector<float>& rstd, float* dx, float* dw, float* db) {
  if (d.layernorm) {
    cpu::layernorm_backward(dy, x, w, mean.data(), rstd.data(), d.T, d.h, dx, dw, db);
  } else {
    cpu::rmsnorm_backward(dy, x, w, rstd.data(), d.T, d.h, dx, dw);
  }
}

// y [T, out] = x [T, in] W^T (+ b).
void Linear(const float* x, const float* w, const float* b, int T, int in, int out, float* y) {
  matmul(x, w, y, T, out, in, false, true, 0);
  if (b) cpu::bias_forward(y, b, T, out);
}

// dW += dy^T x, db += colsum(dy), dx (+)= dy W (beta 0: written, 1: added).
void LinearBackward(const float* dy, const float* x, const float* w, int T, int in, int out, float* dw, float* db,
                    float* dx, float dx_beta) {
  matmul(dy, x, dw, out, in, T, true, false, 1);
  if (db) cpu::bias_backward(dy, T, out, db);
  if (dx) matmul(dy, w, dx, T, in, out, false, false, dx_beta);
}

void Add(const float* a, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] += a[i];
}

}  // namespace

int64_t Activations::bytes() const {
  int64_t n = 0;
  for (const auto& l : layers) {
    for (const auto* v : {&l.x_in, &l.n1, &l.mean1, &l.rstd1, &l.q, &l.k, &l.v, &l.ctx, &l.lse, &l.x_mid, &l.n2,
                          &l.mean2, &l.rstd2, &l.up, &l.act})
      n += v->size();
  }
  n += x_out.size() + nf.size() + meanf.size() + rstdf.size() + dlogits.size();
  return 4 * n + 8 * static_cast<int64_t>(tokens.size());
}

ModelPart PartOfVirtualStage(const ModelSpec& m, const std::vector<int>& layers_per_stage, int vs) {
  int first = 0, total = 0;
  for (int i = 0; i < static_cast<int>(layers_per_stage.size()); ++i) {
    if (i < vs) first += layers_per_stage[i];
    total += layers_per_stage[i];
  }
  if (vs < 0 || vs >= static_cast<int>(layers_per_stage.size()) || total != m.num_layers)
    throw std::invalid_argument("PartOfVirtualStage: layers per stage must sum to " + std::to_string(m.num_layers));
  return {first, first + layers_per_stage[vs], vs == 0, vs + 1 == static_cast<int>(layers_per_stage.size())};
}

float ModelForward(const ModelLayout& layout, const float* params, const int32_t* tokens, const int32_t* targets,
                   int batch, int seq, Activations* a) {
  return PartForward(layout, WholeModel(layout.spec), params, tokens, targets, batch, seq, nullptr, a);
}

void ModelBackward(const ModelLayout& layout, const float* params, Activations* a, float grad_scale, float* grads) {
  PartBackward(layout, WholeModel(layout.spec), params, a, grad_scale, nullptr, nullptr, grads);
}

float PartForward(const ModelLayout& layout, const ModelPart& part, const float* params, const int32_t* tokens,
                  const int32_t* targets, int batch, int seq, const float* x_in, Activations* a) {
  const ModelSpec& m = layout.spec;
  if (seq > m.max_seq)
    throw std::invalid_argument("ModelForward: seq " + std::to_string(seq) + " exceeds max_seq " +
                                std::to_string(m.max_seq));
  const Dims d = DimsOf(m, batch, seq);
  const size_t Th = static_cast<size_t>(d.T) * d.h;
  a->batch = batch;
  a->seq = seq;
  a->tokens.assign(tokens, tokens + d.T);
  a->targets.assign(targets, targets + d.T);
  a->layers.resize(part.end_layer - part.first_layer);
  std::vector<float> x(Th), tmp(Th);
  if (part.has_embedding) {
    cpu::embedding_forward(tokens, d.T, params + layout.embedding, d.V, d.h, x.data());
    if (layout.position >= 0) cpu::position_add_forward(x.data(), params + layout.position, batch, seq, d.h);
  } else {
    x.assign(x_in, x_in + Th);
  }
  const cpu::AttentionShape shape{batch, seq, d.heads, d.kv_heads, d.head_dim};
  for (int i = part.first_layer; i < part.end_layer; ++i) {
    const LayerOffsets& o = layout.layers[i];
    LayerActivations& l = a->layers[i - part.first_layer];
    l.x_in = x;
    l.n1.resize(Th);
    NormForward(d, x.data(), P(params, o.norm1_w), P(params, o.norm1_b), l.n1.data(), l.mean1, l.rstd1);
    l.q.resize(static_cast<size_t>(d.T) * d.q);
    l.k.resize(static_cast<size_t>(d.T) * d.kv);
    l.v.resize(static_cast<size_t>(d.T) * d.kv);
    Linear(l.n1.data(), P(params, o.wq), P(params, o.bq), d.T, d.h, d.q, l.q.data());
    Linear(l.n1.data(), P(params, o.wk), P(params, o.bk), d.T, d.h, d.kv, l.k.data());
    Linear(l.n1.data(), P(params, o.wv), P(params, o.bv), d.T, d.h, d.kv, l.v.data());
    if (d.rope) {
      cpu::rope_forward(l.q.data(), batch, seq, d.heads, d.head_dim, kRopeTheta, 0, l.q.data());
      cpu::rope_forward(l.k.data(), batch, seq, d.kv_heads, d.head_dim, kRopeTheta, 0, l.k.data());
    }
    l.ctx.resize(static_cast<size_t>(d.T) * d.q);
    l.lse.resize(static_cast<size_t>(batch) * d.heads * seq);
    cpu::attention_forward(l.q.data(), l.k.data(), l.v.data(), shape, l.ctx.data(), l.lse.data());
    Linear(l.ctx.data(), P(params, o.wo), P(params, o.bo), d.T, d.q, d.h, tmp.data());
    Add(tmp.data(), Th, x.data());
    l.x_mid = x;
    l.n2.resize(Th);
    NormForward(d, x.data(), P(params, o.norm2_w), P(params, o.norm2_b), l.n2.data(), l.mean2, l.rstd2);
    l.up.resize(static_cast<size_t>(d.T) * d.up);
    l.act.resize(static_cast<size_t>(d.T) * d.f);
    Linear(l.n2.data(), P(params, o.w_up), P(params, o.b_up), d.T, d.h, d.up, l.up.data());
    if (d.swiglu) {
      cpu::swiglu_forward(l.up.data(), d.T, d.f, l.act.data());
    } else {
      cpu::gelu_forward(l.up.data(), l.up.size(), l.act.data());
    }
    Linear(l.act.data(), P(params, o.w_down), P(params, o.b_down), d.T, d.f, d.h, tmp.data());
    Add(tmp.data(), Th, x.data());
  }
  a->x_out = x;
  if (!part.has_head) {
    a->loss = 0;
    return 0;
  }
  a->nf.resize(Th);
  NormForward(d, x.data(), P(params, layout.final_norm_w), P(params, layout.final_norm_b), a->nf.data(), a->meanf,
              a->rstdf);
  a->dlogits.resize(static_cast<size_t>(d.T) * d.V);
  Linear(a->nf.data(), params + layout.lm_head, nullptr, d.T, d.h, d.V, a->dlogits.data());
  a->loss = cpu::softmax_cross_entropy(a->dlogits.data(), targets, d.T, d.V, a->dlogits.data());
  return a->loss;
}

void PartBackward(const ModelLayout& layout, const ModelPart& part, const float* params, Activations* a,
                  float grad_scale, const float* dx_out, float* dx_in, float* grads) {
  const ModelSpec& m = layout.spec;
  const Dims d = DimsOf(m, a->batch, a->seq);
  const size_t Th = static_cast<size_t>(d.T) * d.h;
  std::vector<float> dx(Th), dn(Th), dtmp(Th);
  if (part.has_head) {
    for (float& g : a->dlogits) g *= grad_scale;
    LinearBackward(a->dlogits.data(), a->nf.data(), params + layout.lm_head, d.T, d.h, d.V, grads + layout.lm_head,
                   nullptr, dn.data(), 0);
    NormBackward(d, dn.data(), a->x_out.data(), P(params, layout.final_norm_w), a->meanf, a->rstdf, dx.data(),
                 G(grads, layout.final_norm_w), G(grads, layout.final_norm_b));
  } else {
    dx.assign(dx_out, dx_out + Th);  // already scaled by the next stage
  }
  const cpu::AttentionShape shape{a->batch, a->seq, d.heads, d.kv_heads, d.head_dim};
  std::vector<float> dup, dact(static_cast<size_t>(d.T) * d.f), dctx(static_cast<size_t>(d.T) * d.q),
      dq(dctx.size()), dk(static_cast<size_t>(d.T) * d.kv), dv(dk.size());
  for (int i = part.end_layer - 1; i >= part.first_layer; --i) {
    const LayerOffsets& o = layout.layers[i];
    const LayerActivations& l = a->layers[i - part.first_layer];
    // MLP: dx is the gradient of this layer's output (x_mid + mlp(n2)).
    LinearBackward(dx.data(), l.act.data(), P(params, o.w_down), d.T, d.f, d.h, G(grads, o.w_down),
                   G(grads, o.b_down), dact.data(), 0);
    dup.resize(static_cast<size_t>(d.T) * d.up);
    if (d.swiglu) {
      cpu::swiglu_backward(dact.data(), l.up.data(), d.T, d.f, dup.data());
    } else {
      cpu::gelu_backward(dact.data(), l.up.data(), dup.size(), dup.data());
    }
    LinearBackward(dup.data(), l.n2.data(), P(params, o.w_up), d.T, d.h, d.up, G(grads, o.w_up), G(grads, o.b_up),
                   dn.data(), 0);
    NormBackward(d, dn.data(), l.x_mid.data(), P(params, o.norm2_w), l.mean2, l.rstd2, dtmp.data(),
                 G(grads, o.norm2_w), G(grads, o.norm2_b));
    Add(dtmp.data(), Th, dx.data());  // dx: gradient of x_mid
    // Attention.
    LinearBackward(dx.data(), l.ctx.data(), P(params, o.wo), d.T, d.q, d.h, G(grads, o.wo), G(grads, o.bo),
                   dctx.data(), 0);
    cpu::attention_backward(dctx.data(), l.q.data(), l.k.data(), l.v.data(), l.ctx.data(), l.lse.data(), shape,
                            dq.data(), dk.data(), dv.data());
    if (d.rope) {
      cpu::rope_backward(dq.data(), a->batch, a->seq, d.heads, d.head_dim, kRopeTheta, 0, dq.data());
      cpu::rope_backward(dk.data(), a->batch, a->seq, d.kv_heads, d.head_dim, kRopeTheta, 0, dk.data());
    }
    LinearBackward(dq.data(), l.n1.data(), P(params, o.wq), d.T, d.h, d.q, G(grads, o.wq), G(grads, o.bq),
                   dn.data(), 0);
    LinearBackward(dk.data(), l.n1.data(), P(params, o.wk), d.T, d.h, d.kv, G(grads, o.wk), G(grads, o.bk),
                   dn.data(), 1);
    LinearBackward(dv.data(), l.n1.data(), P(params, o.wv), d.T, d.h, d.kv, G(grads, o.wv), G(grads, o.bv),
                   dn.data(), 1);
    NormBackward(d, dn.data(), l.x_in.data(), P(params, o.norm1_w), l.mean1, l.rstd1, dtmp.data(),
                 G(grads, o.norm1_w), G(grads, o.norm1_b));
    Add(dtmp.data(), Th, dx.data());  // dx: gradient of x_in
  }
  if (!part.has_embedding) {
    std::copy(dx.begin(), dx.end(), dx_in);
    return;
  }
  if (layout.position >= 0) cpu::position_add_backward(dx.data(), a->batch, a->seq, d.h, grads + layout.position);
  cpu::embedding_backward(a->tokens.data(), d.T, dx.data(), d.h, grads + layout.embedding);
}

}  // namespace parallax
