// Decoder forward, backward and AdamW on one GPU (see gpt_model.h).
#include "runtime/gpu/gpt_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/activations.h"
#include "kernels/attention.h"
#include "kernels/casts.h"
#include "kernels/check.h"
#include "kernels/cross_entropy.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/rope.h"
#include "runtime/gpu/step_kernels.h"
#include "runtime/model_forward_backward.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;

}  // namespace

GptModel::GptModel(const ModelSpec& m, int micro_batch, int seq, uint64_t seed,
                   DeviceArena& arena, cudaStream_t stream, OptimizerShard shard)
    : m_(m),
      layout_(MakeGptLayout(m, size_t(std::max(shard.world, 1)) * 128)),
      mbs_(micro_batch),
      seq_(seq),
      rows_(micro_batch * seq),
      shard_(shard),
      stream_(stream),
      profile_(stream) {
  if (micro_batch <= 0 || seq <= 0 || seq > m.max_seq)
    throw std::invalid_argument("gpu runtime: need micro_batch > 0 and 0 < seq <= max_seq");
  if (shard.world < 1 || shard.rank < 0 || shard.rank >= shard.world)
    throw std::invalid_argument("gpu runtime: bad optimizer shard");
  padded_ = layout_.total_elems;
  shard_n_ = 0;
  for (const GradBucket& b : layout_.buckets) {
    shard_offset_.push_back(shard_n_);
    shard_n_ += (b.end - b.begin) / shard.world;
  }
  const bool layernorm = m.norm == Norm::kLayerNorm;
  const size_t P = padded_, S = shard_n_, T = rows_, h = m.hidden, f = m.ffn_hidden;
  const size_t q = m.q_width(), qkv = q + 2 * m.kv_width();
  const size_t up = m.activation == Activation::kSwiGlu ? 2 * f : f;
  w_ = arena.allocate_n<bf16>("weights bf16", P);
  master_ = arena.allocate_n<float>("master fp32", S);
  grads_ = arena.allocate_n<float>("grads fp32", P);
  adam_m_ = arena.allocate_n<float>("adam m fp32", S);
  adam_v_ = arena.allocate_n<float>("adam v fp32", S);
  auto stats = [&](bool needed) { return needed ? arena.allocate_n<float>("act norm stats", T) : nullptr; };
  acts_.resize(m.num_layers);
  for (auto& a : acts_) {
    a.x = arena.allocate_n<bf16>("act residual", T * h);
    a.n1 = arena.allocate_n<bf16>("act norm out", T * h);
    a.mean1 = stats(layernorm);
    a.rstd1 = stats(true);
    a.qkv = arena.allocate_n<bf16>("act qkv", T * qkv);
    a.attn = arena.allocate_n<bf16>("act attn out", T * q);
    a.lse = arena.allocate_n<float>("act attn lse", size_t(mbs_) * m.heads * seq);
    a.mid = arena.allocate_n<bf16>("act residual", T * h);
    a.n2 = arena.allocate_n<bf16>("act norm out", T * h);
    a.mean2 = stats(layernorm);
    a.rstd2 = stats(true);
    a.up = arena.allocate_n<bf16>("act mlp up", T * up);
  }
  x_final_ = arena.allocate_n<bf16>("act residual", T * h);
  nf_ = arena.allocate_n<bf16>("act norm out", T * h);
  meanf_ = stats(layernorm);
  rstdf_ = stats(true);
  logits_ = arena.allocate_n<bf16>("logits", T * m.vocab);
  losses_ = arena.allocate_n<float>("losses", T);
  dres_ = arena.allocate_n<bf16>("bwd scratch", T * h);
  dtmp_ = arena.allocate_n<bf16>("bwd scratch", T * std::max(h, q));
  dn_ = arena.allocate_n<bf16>("bwd scratch", T * h);
  dqkv_ = arena.allocate_n<bf16>("bwd scratch", T * qkv);
  act_ = arena.allocate_n<bf16>("bwd scratch", T * f);
  dact_ = arena.allocate_n<bf16>("bwd scratch", T * f);
  dup_ = up == f ? act_ : arena.allocate_n<bf16>("bwd scratch", T * up);
  const AttentionShape as{mbs_, seq_, m.heads, m.kv_heads, int(m.head_dim)};
  attn_ws_ = arena.allocate("bwd scratch", flash_attention_backward_workspace_bytes(as));
  grad_sumsq_ = arena.allocate_n<float>("optimizer scalars", 1);
  CUDA_CHECK(cudaMemsetAsync(adam_m_, 0, S * sizeof(float), stream_));
  CUDA_CHECK(cudaMemsetAsync(adam_v_, 0, S * sizeof(float), stream_));
  init_weights(seed);
  CUDA_CHECK(cudaMemsetAsync(grads_, 0, P * sizeof(float), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void GptModel::copy_master_shard(const float* full) {
  for (size_t i = 0; i < layout_.buckets.size(); ++i) {
    const GradBucket& b = layout_.buckets[i];
    const size_t part = (b.end - b.begin) / shard_.world;
    CUDA_CHECK(cudaMemcpyAsync(master_ + shard_offset_[i], full + b.begin + part * shard_.rank,
                               part * sizeof(float), cudaMemcpyDeviceToDevice, stream_));
  }
}

// The whole fp32 model is made in the gradient buffer (free before the first
// step), cast to the bf16 weights, and this rank's shard copied to master.
// Tensor i of the layout is global parameter i: the CPU backend's values.
void GptModel::init_weights(uint64_t seed) {
  float* full = grads_;
  CUDA_CHECK(cudaMemsetAsync(full, 0, padded_ * sizeof(float), stream_));
  for (size_t i = 0; i < layout_.tensors.size(); ++i) {
    const GpuTensor& t = layout_.tensors[i];
    float* p = full + t.offset;
    switch (t.init) {
      case ParamInit::kNormal: fill_normal(p, t.n, t.init_std, seed, i, stream_); break;
      case ParamInit::kOnes: fill_value(p, t.n, 1.0f, stream_); break;
      case ParamInit::kZeros: fill_value(p, t.n, 0.0f, stream_); break;
    }
  }
  cast_fp32_to_bf16(full, w_, padded_, stream_);
  copy_master_shard(full);
}

void GptModel::load_weights(const std::vector<float>& full) {
  if (full.size() < layout_.total_elems || full.size() > padded_)
    throw std::invalid_argument("load_weights: need layout().total_elems .. padded_elems() values");
  float* tmp = grads_;  // free between steps
  CUDA_CHECK(cudaMemsetAsync(tmp, 0, padded_ * sizeof(float), stream_));
  CUDA_CHECK(cudaMemcpyAsync(tmp, full.data(), full.size() * sizeof(float), cudaMemcpyHostToDevice,
                             stream_));
  cast_fp32_to_bf16(tmp, w_, padded_, stream_);
  copy_master_shard(tmp);
  CUDA_CHECK(cudaMemsetAsync(tmp, 0, padded_ * sizeof(float), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void GptModel::gemm(const bf16* a, bool ta, const bf16* b, bool tb, void* c, GemmOut ct, int m,
                    int n, int k, float beta, const bf16* bias) {
  gemm_.matmul(a, ta, b, tb, c, ct, m, n, k, 1.0f, beta, bias, stream_);
}

void GptModel::norm_forward(const bf16* x, int64_t w, int64_t b, bf16* y, float* mean,
                            float* rstd) {
  const int h = int(m_.hidden);
  if (m_.norm == Norm::kLayerNorm)
    layernorm_forward(x, w_ + w, w_ + b, rows_, h, kNormEps, y, mean, rstd, stream_);
  else
    rmsnorm_forward(x, w_ + w, rows_, h, kNormEps, y, rstd, stream_);
  profile_.mark("norm fwd");
}

void GptModel::norm_backward(const bf16* dy, const bf16* x, int64_t w, int64_t b,
                             const float* mean, const float* rstd, bf16* dx) {
  const int h = int(m_.hidden);
  if (m_.norm == Norm::kLayerNorm)
    layernorm_backward(dy, x, w_ + w, mean, rstd, rows_, h, dx, grads_ + w, grads_ + b, stream_);
  else
    rmsnorm_backward(dy, x, w_ + w, rstd, rows_, h, dx, grads_ + w, stream_);
  profile_.mark("norm bwd");
}

void GptModel::activation_forward(const bf16* up, bf16* act) {
  const size_t f = m_.ffn_hidden;
  if (m_.activation == Activation::kSwiGlu)
    swiglu_forward(up, rows_, int(f), act, stream_);
  else
    gelu_forward(up, size_t(rows_) * f, act, stream_);
  profile_.mark("activation fwd/recompute");
}

void GptModel::bucket_ready(int bucket) {
  const GradBucket& b = layout_.buckets[bucket];
  if (hooks_.grads_ready) hooks_.grads_ready(b.begin, b.end);
}

void GptModel::forward_backward(const int32_t* tokens, const int32_t* targets, float loss_scale,
                                bool accumulate) {
  const int T = rows_, h = int(m_.hidden), f = int(m_.ffn_hidden), V = int(m_.vocab);
  const int q = int(m_.q_width()), kv = int(m_.kv_width());
  const bool swiglu = m_.activation == Activation::kSwiGlu, rope = m_.position == Position::kRope;
  const int up = swiglu ? 2 * f : f;
  const size_t Tq = size_t(T) * q, Tkv = size_t(T) * kv, Th = size_t(T) * h;
  const AttentionShape as{mbs_, seq_, m_.heads, m_.kv_heads, int(m_.head_dim)};
  const GptLayout& L = layout_;
  auto W = [&](int64_t off) { return off < 0 ? nullptr : w_ + off; };
  auto G = [&](int64_t off) { return grads_ + off; };
  const float wbeta = accumulate ? 1.0f : 0.0f;  // wgrad GEMMs overwrite or add
  if (!accumulate) {
    // Everything not written by a beta = 0 GEMM first: the embedding when the
    // head is untied and the position table (scatter adds), norms and biases
    // (the no-decay group, += kernels).
    if (!m_.tied_embeddings)
      CUDA_CHECK(cudaMemsetAsync(G(L.embedding), 0, size_t(V) * h * sizeof(float), stream_));
    if (L.position >= 0)
      CUDA_CHECK(cudaMemsetAsync(G(L.position), 0, size_t(m_.max_seq) * h * sizeof(float), stream_));
    CUDA_CHECK(cudaMemsetAsync(G(L.decay_elems), 0,
                               (L.total_elems - L.decay_elems) * sizeof(float), stream_));
    profile_.mark("zero grads");
  }

  // ---- forward ----
  embedding_forward(tokens, W(L.embedding), W(L.position), mbs_, seq_, h, acts_[0].x, stream_);
  profile_.mark("embedding fwd");
  for (int l = 0; l < m_.num_layers; ++l) {
    const LayerOffsets& o = L.layers[l];
    LayerActs& a = acts_[l];
    bf16* x_next = l + 1 < m_.num_layers ? acts_[l + 1].x : x_final_;
    bf16 *Q = a.qkv, *K = a.qkv + Tq, *Vv = a.qkv + Tq + Tkv;
    norm_forward(a.x, o.norm1_w, o.norm1_b, a.n1, a.mean1, a.rstd1);
    gemm(a.n1, false, W(o.wq), true, Q, GemmOut::kBf16, T, q, h, 0.0f, W(o.bq));
    gemm(a.n1, false, W(o.wk), true, K, GemmOut::kBf16, T, kv, h, 0.0f, W(o.bk));
    gemm(a.n1, false, W(o.wv), true, Vv, GemmOut::kBf16, T, kv, h, 0.0f, W(o.bv));
    profile_.mark("gemm fwd qkv");
    if (rope) {
      rope_forward(Q, mbs_, seq_, m_.heads, int(m_.head_dim), kRopeTheta, 0, Q, stream_);
      rope_forward(K, mbs_, seq_, m_.kv_heads, int(m_.head_dim), kRopeTheta, 0, K, stream_);
      profile_.mark("rope fwd");
    }
    flash_attention_forward(Q, K, Vv, as, a.attn, a.lse, stream_);
    profile_.mark("attention fwd");
    CUDA_CHECK(cudaMemcpyAsync(a.mid, a.x, Th * sizeof(bf16), cudaMemcpyDeviceToDevice, stream_));
    profile_.mark("residual copy");
    gemm(a.attn, false, W(o.wo), true, a.mid, GemmOut::kBf16, T, h, q, 1.0f, W(o.bo));
    profile_.mark("gemm fwd proj");
    norm_forward(a.mid, o.norm2_w, o.norm2_b, a.n2, a.mean2, a.rstd2);
    gemm(a.n2, false, W(o.w_up), true, a.up, GemmOut::kBf16, T, up, h, 0.0f, W(o.b_up));
    profile_.mark("gemm fwd up");
    activation_forward(a.up, act_);
    CUDA_CHECK(cudaMemcpyAsync(x_next, a.mid, Th * sizeof(bf16), cudaMemcpyDeviceToDevice, stream_));
    profile_.mark("residual copy");
    gemm(act_, false, W(o.w_down), true, x_next, GemmOut::kBf16, T, h, f, 1.0f, W(o.b_down));
    profile_.mark("gemm fwd down");
  }
  norm_forward(x_final_, L.final_norm_w, L.final_norm_b, nf_, meanf_, rstdf_);
  gemm(nf_, false, W(L.lm_head), true, logits_, GemmOut::kBf16, T, V, h, 0.0f);
  profile_.mark("gemm fwd lm head");
  softmax_cross_entropy(logits_, targets, T, V, loss_scale / T, losses_, stream_);
  profile_.mark("cross entropy");

  // ---- backward (logits_ now holds dlogits) ----
  gemm(logits_, false, W(L.lm_head), false, dtmp_, GemmOut::kBf16, T, h, V, 0.0f);
  profile_.mark("gemm bwd lm head");
  gemm(logits_, true, nf_, false, G(L.lm_head), GemmOut::kFp32, V, h, T, wbeta);
  profile_.mark("gemm bwd lm head");
  if (!m_.tied_embeddings) bucket_ready(L.layer_bucket(m_.num_layers));
  norm_backward(dtmp_, x_final_, L.final_norm_w, L.final_norm_b, meanf_, rstdf_, dres_);
  for (int l = m_.num_layers - 1; l >= 0; --l) {
    const LayerOffsets& o = L.layers[l];
    LayerActs& a = acts_[l];
    // MLP: x_next = mid + down(act(up(n2(mid)))); dres = d x_next.
    activation_forward(a.up, act_);
    gemm(dres_, true, act_, false, G(o.w_down), GemmOut::kFp32, h, f, T, wbeta);
    profile_.mark("gemm bwd down");
    if (o.b_down >= 0) bias_grad(dres_, T, h, G(o.b_down), stream_);
    gemm(dres_, false, W(o.w_down), false, dact_, GemmOut::kBf16, T, f, h, 0.0f);
    profile_.mark("gemm bwd down");
    if (swiglu)
      swiglu_backward(dact_, a.up, T, f, dup_, stream_);
    else
      gelu_backward(dact_, a.up, size_t(T) * f, dup_, stream_);
    profile_.mark("activation bwd");
    gemm(dup_, true, a.n2, false, G(o.w_up), GemmOut::kFp32, up, h, T, wbeta);
    profile_.mark("gemm bwd up");
    if (o.b_up >= 0) bias_grad(dup_, T, up, G(o.b_up), stream_);
    gemm(dup_, false, W(o.w_up), false, dtmp_, GemmOut::kBf16, T, h, up, 0.0f);
    profile_.mark("gemm bwd up");
    norm_backward(dtmp_, a.mid, o.norm2_w, o.norm2_b, a.mean2, a.rstd2, dn_);
    add_bf16(dres_, dn_, Th, dres_, stream_);  // dres = d mid
    profile_.mark("residual grad add");
    // Attention: mid = x + wo(attn(rope(wq n1), rope(wk n1), wv n1)), n1 = norm1(x).
    gemm(dres_, true, a.attn, false, G(o.wo), GemmOut::kFp32, h, q, T, wbeta);
    profile_.mark("gemm bwd proj");
    if (o.bo >= 0) bias_grad(dres_, T, h, G(o.bo), stream_);
    gemm(dres_, false, W(o.wo), false, dtmp_, GemmOut::kBf16, T, q, h, 0.0f);
    profile_.mark("gemm bwd proj");
    bf16 *dQ = dqkv_, *dK = dqkv_ + Tq, *dV = dqkv_ + Tq + Tkv;
    flash_attention_backward(dtmp_, a.qkv, a.qkv + Tq, a.qkv + Tq + Tkv, a.attn, a.lse, as, dQ, dK,
                             dV, attn_ws_, stream_);
    profile_.mark("attention bwd");
    if (rope) {
      rope_backward(dQ, mbs_, seq_, m_.heads, int(m_.head_dim), kRopeTheta, 0, dQ, stream_);
      rope_backward(dK, mbs_, seq_, m_.kv_heads, int(m_.head_dim), kRopeTheta, 0, dK, stream_);
      profile_.mark("rope bwd");
    }
    const struct {
      bf16* dy;
      int64_t w, b;
      int width;
    } proj[3] = {{dQ, o.wq, o.bq, q}, {dK, o.wk, o.bk, kv}, {dV, o.wv, o.bv, kv}};
    for (int j = 0; j < 3; ++j) {
      gemm(proj[j].dy, true, a.n1, false, G(proj[j].w), GemmOut::kFp32, proj[j].width, h, T, wbeta);
      profile_.mark("gemm bwd qkv");
      if (proj[j].b >= 0) bias_grad(proj[j].dy, T, proj[j].width, G(proj[j].b), stream_);
      gemm(proj[j].dy, false, W(proj[j].w), false, dtmp_, GemmOut::kBf16, T, h, proj[j].width,
           j == 0 ? 0.0f : 1.0f);
      profile_.mark("gemm bwd qkv");
    }
    norm_backward(dtmp_, a.x, o.norm1_w, o.norm1_b, a.mean1, a.rstd1, dn_);
    add_bf16(dres_, dn_, Th, dres_, stream_);  // dres = d x
    profile_.mark("residual grad add");
    bucket_ready(L.layer_bucket(l));
  }
  embedding_backward(tokens, dres_, mbs_, seq_, h, G(L.embedding),
                     L.position >= 0 ? G(L.position) : nullptr, stream_);
  profile_.mark("embedding bwd");
  bucket_ready(0);
  bucket_ready(int(L.buckets.size()) - 1);
}

float GptModel::loss() {
  std::vector<float> host(rows_);
  CUDA_CHECK(cudaMemcpyAsync(host.data(), losses_, rows_ * sizeof(float), cudaMemcpyDeviceToHost,
                             stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  double sum = 0;
  for (float x : host) sum += x;
  return float(sum / rows_);
}

void GptModel::optimizer_step(const AdamWConfig& cfg, float max_norm, int step) {
  // This rank's part of every bucket; a bucket is all decay or all no-decay.
  std::vector<AdamWTensor> decay, no_decay;
  for (size_t i = 0; i < layout_.buckets.size(); ++i) {
    const GradBucket& bk = layout_.buckets[i];
    const size_t part = (bk.end - bk.begin) / shard_.world;
    const size_t at = bk.begin + part * shard_.rank, loc = shard_offset_[i];
    if (!part) continue;
    (bk.decay ? decay : no_decay)
        .push_back(AdamWTensor{master_ + loc, grads_ + at, adam_m_ + loc, adam_v_ + loc, w_ + at, part});
  }
  std::vector<AdamWTensor> all = decay;
  all.insert(all.end(), no_decay.begin(), no_decay.end());
  CUDA_CHECK(cudaMemsetAsync(grad_sumsq_, 0, sizeof(float), stream_));
  grad_sumsq_multi_tensor(all, grad_sumsq_, stream_);
  if (hooks_.reduce_sumsq) hooks_.reduce_sumsq(grad_sumsq_);
  const float* clip = max_norm > 0 ? grad_sumsq_ : nullptr;
  if (!decay.empty()) adamw_multi_tensor(decay, cfg, step, clip, max_norm, stream_);
  AdamWConfig no_wd = cfg;
  no_wd.weight_decay = 0.0f;
  if (!no_decay.empty()) adamw_multi_tensor(no_decay, no_wd, step, clip, max_norm, stream_);
  profile_.mark("adamw + clip");
}

float GptModel::grad_norm() {
  float sumsq = 0;
  CUDA_CHECK(cudaMemcpyAsync(&sumsq, grad_sumsq_, sizeof(float), cudaMemcpyDeviceToHost, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  return std::sqrt(sumsq);
}

}  // namespace parallax::gpu
