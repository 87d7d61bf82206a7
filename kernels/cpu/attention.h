// Causal multi-head attention with grouped-query heads (GQA), fp32 CPU reference.
// Layouts (row-major, the natural output of the QKV projection):
//   q, out [batch, seq, q_heads, head_dim]; k, v [batch, seq, kv_heads, head_dim].
// q head h reads kv head h / (q_heads / kv_heads). Softmax scale 1 / sqrt(head_dim).
// Forward saves lse [batch, q_heads, seq] (log-sum-exp of the scaled scores of
// each query row); backward recomputes the probabilities from q, k and lse, the
// same split as flash attention, so the GPU kernel can be checked against both.
// dq, dk, dv are written (overwritten).
#pragma once

namespace parallax::cpu {

struct AttentionShape {
  int batch, seq, q_heads, kv_heads, head_dim;
};

void attention_forward(const float* q, const float* k, const float* v, const AttentionShape& s,
                       float* out, float* lse);
void attention_backward(const float* dout, const float* q, const float* k, const float* v,
                        const float* out, const float* lse, const AttentionShape& s, float* dq,
                        float* dk, float* dv);

}  // namespace parallax::cpu
