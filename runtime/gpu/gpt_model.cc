// GPT forward, backward and AdamW on one GPU (see gpt_model.h).
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
#include "runtime/gpu/step_kernels.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;
constexpr float kLnEps = 1e-5f;
constexpr float kInitStd = 0.02f;

}  // namespace

GptModel::GptModel(const ModelSpec& m, int micro_batch, int seq, uint64_t seed,
                   DeviceArena& arena, cudaStream_t stream, OptimizerShard shard)
    : m_(m), layout_(MakeGptLayout(m)), mbs_(micro_batch), seq_(seq), rows_(micro_batch * seq),
      shard_(shard), stream_(stream), profile_(stream) {
  if (micro_batch <= 0 || seq <= 0 || seq > m.max_seq)
    throw std::invalid_argument("gpu runtime: need micro_batch > 0 and 0 < seq <= max_seq");
  if (shard.world < 1 || shard.rank < 0 || shard.rank >= shard.world)
    throw std::invalid_argument("gpu runtime: bad optimizer shard");
  const size_t unit = size_t(shard.world) * 128;
  padded_ = (layout_.total_elems + unit - 1) / unit * unit;
  shard_n_ = padded_ / shard.world;
  shard_begin_ = shard_n_ * shard.rank;
  const size_t P = padded_, S = shard_n_, T = rows_, h = m.hidden, f = m.ffn_hidden;
  w_ = arena.allocate_n<bf16>("weights bf16", P);
  master_ = arena.allocate_n<float>("master fp32", S);
  grads_ = arena.allocate_n<float>("grads fp32", P);
  adam_m_ = arena.allocate_n<float>("adam m fp32", S);
  adam_v_ = arena.allocate_n<float>("adam v fp32", S);
  acts_.resize(m.num_layers);
  for (auto& a : acts_) {
    a.x = arena.allocate_n<bf16>("act residual", T * h);
    a.ln1 = arena.allocate_n<bf16>("act ln out", T * h);
    a.ln1_mean = arena.allocate_n<float>("act ln stats", T);
    a.ln1_rstd = arena.allocate_n<float>("act ln stats", T);
    a.qkv = arena.allocate_n<bf16>("act qkv", 3 * T * h);
    a.attn = arena.allocate_n<bf16>("act attn out", T * h);
    a.lse = arena.allocate_n<float>("act attn lse", size_t(mbs_) * m.heads * seq);
    a.mid = arena.allocate_n<bf16>("act residual", T * h);
    a.ln2 = arena.allocate_n<bf16>("act ln out", T * h);
    a.ln2_mean = arena.allocate_n<float>("act ln stats", T);
    a.ln2_rstd = arena.allocate_n<float>("act ln stats", T);
    a.fc1 = arena.allocate_n<bf16>("act fc1", T * f);
  }
  x_final_ = arena.allocate_n<bf16>("act residual", T * h);
  lnf_ = arena.allocate_n<bf16>("act ln out", T * h);
  lnf_mean_ = arena.allocate_n<float>("act ln stats", T);
  lnf_rstd_ = arena.allocate_n<float>("act ln stats", T);
  logits_ = arena.allocate_n<bf16>("logits", T * m.vocab);
  losses_ = arena.allocate_n<float>("losses", T);
  dres_ = arena.allocate_n<bf16>("bwd scratch", T * h);
  dtmp_ = arena.allocate_n<bf16>("bwd scratch", T * h);
  dln_ = arena.allocate_n<bf16>("bwd scratch", T * h);
  dqkv_ = arena.allocate_n<bf16>("bwd scratch", 3 * T * h);
  gelu_ = arena.allocate_n<bf16>("bwd scratch", T * f);
  dgelu_ = arena.allocate_n<bf16>("bwd scratch", T * f);
  const AttentionShape as{mbs_, seq_, m.heads, m.kv_heads, int(m.head_dim)};
  attn_ws_ = arena.allocate("bwd scratch", flash_attention_backward_workspace_bytes(as));
  grad_sumsq_ = arena.allocate_n<float>("optimizer scalars", 1);
  CUDA_CHECK(cudaMemsetAsync(adam_m_, 0, S * sizeof(float), stream_));
  CUDA_CHECK(cudaMemsetAsync(adam_v_, 0, S * sizeof(float), stream_));
  init_weights(seed);
  CUDA_CHECK(cudaMemsetAsync(grads_, 0, P * sizeof(float), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

// The whole fp32 model is made in the gradient buffer (free before the first
// step), cast to the bf16 weights, and this rank's shard copied to master.
void GptModel::init_weights(uint64_t seed) {
  float* full = grads_;
  CUDA_CHECK(cudaMemsetAsync(full, 0, padded_ * sizeof(float), stream_));
  const float resid_std = kInitStd / std::sqrt(2.0f * m_.num_layers);
  for (size_t i = 0; i < layout_.tensors.size(); ++i) {
    const ParamTensor& t = layout_.tensors[i];
    float* p = full + t.offset;
    switch (t.init) {
      case ParamInit::kNormal: fill_normal(p, t.n, kInitStd, seed, i, stream_); break;
      case ParamInit::kNormalScaledResidual: fill_normal(p, t.n, resid_std, seed, i, stream_); break;
      case ParamInit::kOnes: fill_value(p, t.n, 1.0f, stream_); break;
      case ParamInit::kZeros: fill_value(p, t.n, 0.0f, stream_); break;
    }
  }
  cast_fp32_to_bf16(full, w_, padded_, stream_);
  CUDA_CHECK(cudaMemcpyAsync(master_, full + shard_begin_, shard_n_ * sizeof(float),
                             cudaMemcpyDeviceToDevice, stream_));
}

void GptModel::load_weights(const std::vector<float>& full) {
  if (full.size() < layout_.total_elems || full.size() > padded_)
    throw std::invalid_argument("load_weights: need layout().total_elems .. padded_elems() values");
  float* tmp = grads_;  // free between steps
  CUDA_CHECK(cudaMemsetAsync(tmp, 0, padded_ * sizeof(float), stream_));
  CUDA_CHECK(cudaMemcpyAsync(tmp, full.data(), full.size() * sizeof(float), cudaMemcpyHostToDevice,
                             stream_));
  cast_fp32_to_bf16(tmp, w_, padded_, stream_);
  CUDA_CHECK(cudaMemcpyAsync(master_, tmp + shard_begin_, shard_n_ * sizeof(float),
                             cudaMemcpyDeviceToDevice, stream_));
  CUDA_CHECK(cudaMemsetAsync(tmp, 0, padded_ * sizeof(float), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void GptModel::gemm(const bf16* a, bool ta, const bf16* b, bool tb, void* c, GemmOut ct, int m,
                    int n, int k, float beta, const bf16* bias) {
  gemm_.matmul(a, ta, b, tb, c, ct, m, n, k, 1.0f, beta, bias, stream_);
}

void GptModel::forward_backward(const int32_t* tokens, const int32_t* targets, float loss_scale,
                                bool accumulate) {
  const int T = rows_, h = int(m_.hidden), f = int(m_.ffn_hidden), V = int(m_.vocab);
  const size_t Th = size_t(T) * h;
  const AttentionShape as{mbs_, seq_, m_.heads, m_.kv_heads, int(m_.head_dim)};
  const GptLayout& L = layout_;
  auto W = [&](size_t off) { return w_ + off; };
  auto G = [&](size_t off) { return grads_ + off; };
  const float wbeta = accumulate ? 1.0f : 0.0f;  // wgrad GEMMs overwrite or add
  if (!accumulate) {
    // Everything not written by a beta = 0 GEMM first: position table (scatter
    // add), norms and biases (the no-decay group, += kernels).
    CUDA_CHECK(cudaMemsetAsync(G(L.wpe), 0, size_t(m_.max_seq) * h * sizeof(float), stream_));
    CUDA_CHECK(cudaMemsetAsync(G(L.decay_elems), 0,
                               (L.total_elems - L.decay_elems) * sizeof(float), stream_));
    profile_.mark("zero grads");
  }

  // ---- forward ----
  embedding_forward(tokens, W(L.wte), W(L.wpe), mbs_, seq_, h, acts_[0].x, stream_);
  profile_.mark("embedding fwd");
  for (int l = 0; l < m_.num_layers; ++l) {
    const GptLayerOffsets& o = L.layers[l];
    LayerActs& a = acts_[l];
    bf16* x_next = l + 1 < m_.num_layers ? acts_[l + 1].x : x_final_;
    layernorm_forward(a.x, W(o.ln1_w), W(o.ln1_b), T, h, kLnEps, a.ln1, a.ln1_mean, a.ln1_rstd,
                      stream_);
    profile_.mark("layernorm fwd");
    for (int j = 0; j < 3; ++j)
      gemm(a.ln1, false, W(o.qkv_w) + size_t(j) * h * h, true, a.qkv + j * Th, GemmOut::kBf16, T,
           h, h, 0.0f, W(o.qkv_b) + j * h);
    profile_.mark("gemm fwd qkv");
    flash_attention_forward(a.qkv, a.qkv + Th, a.qkv + 2 * Th, as, a.attn, a.lse, stream_);
    profile_.mark("attention fwd");
    CUDA_CHECK(cudaMemcpyAsync(a.mid, a.x, Th * sizeof(bf16), cudaMemcpyDeviceToDevice, stream_));
    profile_.mark("residual copy");
    gemm(a.attn, false, W(o.proj_w), true, a.mid, GemmOut::kBf16, T, h, h, 1.0f, W(o.proj_b));
    profile_.mark("gemm fwd proj");
    layernorm_forward(a.mid, W(o.ln2_w), W(o.ln2_b), T, h, kLnEps, a.ln2, a.ln2_mean, a.ln2_rstd,
                      stream_);
    profile_.mark("layernorm fwd");
    gemm(a.ln2, false, W(o.fc1_w), true, a.fc1, GemmOut::kBf16, T, f, h, 0.0f, W(o.fc1_b));
    profile_.mark("gemm fwd fc1");
    gelu_forward(a.fc1, size_t(T) * f, gelu_, stream_);
    profile_.mark("gelu fwd/recompute");
    CUDA_CHECK(cudaMemcpyAsync(x_next, a.mid, Th * sizeof(bf16), cudaMemcpyDeviceToDevice, stream_));
    profile_.mark("residual copy");
    gemm(gelu_, false, W(o.fc2_w), true, x_next, GemmOut::kBf16, T, h, f, 1.0f, W(o.fc2_b));
    profile_.mark("gemm fwd fc2");
  }
  layernorm_forward(x_final_, W(L.lnf_w), W(L.lnf_b), T, h, kLnEps, lnf_, lnf_mean_, lnf_rstd_,
                    stream_);
  profile_.mark("layernorm fwd");
  gemm(lnf_, false, W(L.wte), true, logits_, GemmOut::kBf16, T, V, h, 0.0f);
  profile_.mark("gemm fwd lm head");
  softmax_cross_entropy(logits_, targets, T, V, loss_scale / T, losses_, stream_);
  profile_.mark("cross entropy");

  // ---- backward (logits_ now holds dlogits) ----
  gemm(logits_, false, W(L.wte), false, dtmp_, GemmOut::kBf16, T, h, V, 0.0f);
  profile_.mark("gemm bwd lm head");
  gemm(logits_, true, lnf_, false, G(L.wte), GemmOut::kFp32, V, h, T, wbeta);
  profile_.mark("gemm bwd lm head");
  layernorm_backward(dtmp_, x_final_, W(L.lnf_w), lnf_mean_, lnf_rstd_, T, h, dres_, G(L.lnf_w),
                     G(L.lnf_b), stream_);
  profile_.mark("layernorm bwd");
  for (int l = m_.num_layers - 1; l >= 0; --l) {
    const GptLayerOffsets& o = L.layers[l];
    LayerActs& a = acts_[l];
    // MLP: x_next = mid + fc2(gelu(fc1(ln2(mid)))); dres = d x_next.
    gelu_forward(a.fc1, size_t(T) * f, gelu_, stream_);
    profile_.mark("gelu fwd/recompute");
    gemm(dres_, true, gelu_, false, G(o.fc2_w), GemmOut::kFp32, h, f, T, wbeta);
    profile_.mark("gemm bwd fc2");
    bias_grad(dres_, T, h, G(o.fc2_b), stream_);
    profile_.mark("bias grad");
    gemm(dres_, false, W(o.fc2_w), false, dgelu_, GemmOut::kBf16, T, f, h, 0.0f);
    profile_.mark("gemm bwd fc2");
    gelu_backward(dgelu_, a.fc1, size_t(T) * f, gelu_, stream_);  // gelu_ = d fc1
    profile_.mark("gelu bwd");
    gemm(gelu_, true, a.ln2, false, G(o.fc1_w), GemmOut::kFp32, f, h, T, wbeta);
    profile_.mark("gemm bwd fc1");
    bias_grad(gelu_, T, f, G(o.fc1_b), stream_);
    profile_.mark("bias grad");
    gemm(gelu_, false, W(o.fc1_w), false, dtmp_, GemmOut::kBf16, T, h, f, 0.0f);
    profile_.mark("gemm bwd fc1");
    layernorm_backward(dtmp_, a.mid, W(o.ln2_w), a.ln2_mean, a.ln2_rstd, T, h, dln_, G(o.ln2_w),
                       G(o.ln2_b), stream_);
    profile_.mark("layernorm bwd");
    add_bf16(dres_, dln_, Th, dres_, stream_);  // dres = d mid
    profile_.mark("residual grad add");
    // Attention: mid = x + proj(attn(ln1(x))).
    gemm(dres_, true, a.attn, false, G(o.proj_w), GemmOut::kFp32, h, h, T, wbeta);
    profile_.mark("gemm bwd proj");
    bias_grad(dres_, T, h, G(o.proj_b), stream_);
    profile_.mark("bias grad");
    gemm(dres_, false, W(o.proj_w), false, dtmp_, GemmOut::kBf16, T, h, h, 0.0f);
    profile_.mark("gemm bwd proj");
    flash_attention_backward(dtmp_, a.qkv, a.qkv + Th, a.qkv + 2 * Th, a.attn, a.lse, as, dqkv_,
                             dqkv_ + Th, dqkv_ + 2 * Th, attn_ws_, stream_);
    profile_.mark("attention bwd");
    for (int j = 0; j < 3; ++j) {
      gemm(dqkv_ + j * Th, true, a.ln1, false, G(o.qkv_w) + size_t(j) * h * h, GemmOut::kFp32, h,
           h, T, wbeta);
      profile_.mark("gemm bwd qkv");
      bias_grad(dqkv_ + j * Th, T, h, G(o.qkv_b) + j * h, stream_);
      profile_.mark("bias grad");
      gemm(dqkv_ + j * Th, false, W(o.qkv_w) + size_t(j) * h * h, false, dtmp_, GemmOut::kBf16, T,
           h, h, j == 0 ? 0.0f : 1.0f);
      profile_.mark("gemm bwd qkv");
    }
    layernorm_backward(dtmp_, a.x, W(o.ln1_w), a.ln1_mean, a.ln1_rstd, T, h, dln_, G(o.ln1_w),
                       G(o.ln1_b), stream_);
    profile_.mark("layernorm bwd");
    add_bf16(dres_, dln_, Th, dres_, stream_);  // dres = d x
    profile_.mark("residual grad add");
    if (hooks_.grads_ready)  // this layer's matrices: qkv_w .. fc2_w, contiguous
      hooks_.grads_ready(o.qkv_w, o.fc2_w + size_t(h) * f);
  }
  embedding_backward(tokens, dres_, mbs_, seq_, h, G(L.wte), G(L.wpe), stream_);
  profile_.mark("embedding bwd");
  if (hooks_.grads_ready) {
    hooks_.grads_ready(0, L.layers.empty() ? L.decay_elems : L.layers[0].qkv_w);
    hooks_.grads_ready(L.decay_elems, padded_);
  }
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
  // This rank's range [b, e) of the flat buffer, split at the decay boundary.
  const size_t b = shard_begin_, e = shard_begin_ + shard_n_, split = layout_.decay_elems;
  auto group = [&](size_t begin, size_t end) {
    std::vector<AdamWTensor> g;
    if (end > begin)
      g.push_back(AdamWTensor{master_ + (begin - b), grads_ + begin, adam_m_ + (begin - b),
                              adam_v_ + (begin - b), w_ + begin, end - begin});
    return g;
  };
  const auto decay = group(b, std::min(e, split));
  const auto no_decay = group(std::max(b, split), e);
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
