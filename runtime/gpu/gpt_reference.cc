// fp32 CPU GPT reference (see gpt_reference.h). Mirrors gpt_model.cc step for
// step, but every activation stays fp32.
#include "runtime/gpu/gpt_reference.h"

#include <algorithm>

#include "kernels/cpu/ops.h"

namespace parallax::gpu {

float GptReferenceLossAndGrads(const ModelSpec& m, const GptLayout& L,
                               const std::vector<float>& params,
                               const std::vector<int32_t>& tokens,
                               const std::vector<int32_t>& targets, int batch, int seq,
                               std::vector<float>* grads) {
  using namespace ::parallax::cpu;
  const int T = batch * seq, h = int(m.hidden), f = int(m.ffn_hidden), V = int(m.vocab);
  const size_t Th = size_t(T) * h;
  const float eps = 1e-5f;
  const AttentionShape as{batch, seq, m.heads, m.kv_heads, int(m.head_dim)};
  const float* P = params.data();
  grads->assign(L.total_elems, 0.0f);
  float* G = grads->data();
  struct Acts {
    std::vector<float> x, ln1, m1, r1, qkv, attn, lse, mid, ln2, m2, r2, fc1, gl;
  };
  std::vector<Acts> A(m.num_layers);
  std::vector<float> x(Th);
  embedding_forward(tokens.data(), T, P + L.wte, V, h, x.data());
  position_add_forward(x.data(), P + L.wpe, batch, seq, h);
  for (int l = 0; l < m.num_layers; ++l) {
    const GptLayerOffsets& o = L.layers[l];
    Acts& a = A[l];
    a.x = x;
    a.ln1.resize(Th), a.m1.resize(T), a.r1.resize(T), a.qkv.resize(3 * Th), a.attn.resize(Th);
    a.lse.resize(size_t(batch) * m.heads * seq), a.ln2.resize(Th), a.m2.resize(T), a.r2.resize(T);
    a.fc1.resize(size_t(T) * f), a.gl.resize(size_t(T) * f);
    layernorm_forward(a.x.data(), P + o.ln1_w, P + o.ln1_b, T, h, eps, a.ln1.data(), a.m1.data(),
                      a.r1.data());
    for (int j = 0; j < 3; ++j) {
      matmul(a.ln1.data(), P + o.qkv_w + size_t(j) * h * h, a.qkv.data() + j * Th, T, h, h, false,
             true, 0);
      bias_forward(a.qkv.data() + j * Th, P + o.qkv_b + j * h, T, h);
    }
    attention_forward(a.qkv.data(), a.qkv.data() + Th, a.qkv.data() + 2 * Th, as, a.attn.data(),
                      a.lse.data());
    a.mid = a.x;
    matmul(a.attn.data(), P + o.proj_w, a.mid.data(), T, h, h, false, true, 1);
    bias_forward(a.mid.data(), P + o.proj_b, T, h);
    layernorm_forward(a.mid.data(), P + o.ln2_w, P + o.ln2_b, T, h, eps, a.ln2.data(), a.m2.data(),
                      a.r2.data());
    matmul(a.ln2.data(), P + o.fc1_w, a.fc1.data(), T, f, h, false, true, 0);
    bias_forward(a.fc1.data(), P + o.fc1_b, T, f);
    gelu_forward(a.fc1.data(), a.fc1.size(), a.gl.data());
    x = a.mid;
    matmul(a.gl.data(), P + o.fc2_w, x.data(), T, h, f, false, true, 1);
    bias_forward(x.data(), P + o.fc2_b, T, h);
  }
  std::vector<float> lnf(Th), mf(T), rf(T), logits(size_t(T) * V);
  layernorm_forward(x.data(), P + L.lnf_w, P + L.lnf_b, T, h, eps, lnf.data(), mf.data(), rf.data());
  matmul(lnf.data(), P + L.wte, logits.data(), T, V, h, false, true, 0);
  const float loss = softmax_cross_entropy(logits.data(), targets.data(), T, V, logits.data());

  std::vector<float> dtmp(Th), dres(Th), dln(Th), dqkv(3 * Th), dg(size_t(T) * f),
      dfc1(size_t(T) * f);
  matmul(logits.data(), P + L.wte, dtmp.data(), T, h, V, false, false, 0);
  matmul(logits.data(), lnf.data(), G + L.wte, V, h, T, true, false, 1);
  layernorm_backward(dtmp.data(), x.data(), P + L.lnf_w, mf.data(), rf.data(), T, h, dres.data(),
                     G + L.lnf_w, G + L.lnf_b);
  auto add = [&](const std::vector<float>& d) {
    for (size_t i = 0; i < Th; ++i) dres[i] += d[i];
  };
  for (int l = m.num_layers - 1; l >= 0; --l) {
    const GptLayerOffsets& o = L.layers[l];
    Acts& a = A[l];
    matmul(dres.data(), a.gl.data(), G + o.fc2_w, h, f, T, true, false, 1);
    bias_backward(dres.data(), T, h, G + o.fc2_b);
    matmul(dres.data(), P + o.fc2_w, dg.data(), T, f, h, false, false, 0);
    gelu_backward(dg.data(), a.fc1.data(), dg.size(), dfc1.data());
    matmul(dfc1.data(), a.ln2.data(), G + o.fc1_w, f, h, T, true, false, 1);
    bias_backward(dfc1.data(), T, f, G + o.fc1_b);
    matmul(dfc1.data(), P + o.fc1_w, dtmp.data(), T, h, f, false, false, 0);
    layernorm_backward(dtmp.data(), a.mid.data(), P + o.ln2_w, a.m2.data(), a.r2.data(), T, h,
                       dln.data(), G + o.ln2_w, G + o.ln2_b);
    add(dln);
    matmul(dres.data(), a.attn.data(), G + o.proj_w, h, h, T, true, false, 1);
    bias_backward(dres.data(), T, h, G + o.proj_b);
    matmul(dres.data(), P + o.proj_w, dtmp.data(), T, h, h, false, false, 0);
    attention_backward(dtmp.data(), a.qkv.data(), a.qkv.data() + Th, a.qkv.data() + 2 * Th,
                       a.attn.data(), a.lse.data(), as, dqkv.data(), dqkv.data() + Th,
                       dqkv.data() + 2 * Th);
    for (int j = 0; j < 3; ++j) {
      matmul(dqkv.data() + j * Th, a.ln1.data(), G + o.qkv_w + size_t(j) * h * h, h, h, T, true,
             false, 1);
      bias_backward(dqkv.data() + j * Th, T, h, G + o.qkv_b + j * h);
      matmul(dqkv.data() + j * Th, P + o.qkv_w + size_t(j) * h * h, dtmp.data(), T, h, h, false,
             false, j == 0 ? 0.0f : 1.0f);
    }
    layernorm_backward(dtmp.data(), a.x.data(), P + o.ln1_w, a.m1.data(), a.r1.data(), T, h,
                       dln.data(), G + o.ln1_w, G + o.ln1_b);
    add(dln);
  }
  embedding_backward(tokens.data(), T, dres.data(), h, G + L.wte);
  position_add_backward(dres.data(), batch, seq, h, G + L.wpe);
  return loss;
}

}  // namespace parallax::gpu
