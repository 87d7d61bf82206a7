// Causal flash attention (forward and backward) for bf16 activations, our own
// FlashAttention-2-style kernels: tiles of 64 keys stream through shared memory,
// the softmax is computed online (running max and sum per query row), and the
// s x s score matrix never exists in memory; the backward recomputes P from
// q, k and the saved log-sum-exp. Tensor cores through mma.sync m16n8k16 bf16
// (fp32 accumulation), which runs on sm_80 and sm_90 alike.
// Layouts as kernels/cpu/attention.h: q, out, dq [batch, seq, q_heads, head_dim];
// k, v, dk, dv [batch, seq, kv_heads, head_dim]; lse [batch, q_heads, seq] fp32
// (natural log). GQA: q head h reads kv head h / (q_heads / kv_heads).
// head_dim 64 or 128. Softmax scale 1 / sqrt(head_dim).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>

namespace parallax::gpu {

struct AttentionShape {
  int batch, seq, q_heads, kv_heads, head_dim;
};

void flash_attention_forward(const __nv_bfloat16* q, const __nv_bfloat16* k,
                             const __nv_bfloat16* v, const AttentionShape& s, __nv_bfloat16* out,
                             float* lse, cudaStream_t stream);

// Scratch the backward needs (fp32 dq accumulator and the row sums dO·O).
size_t flash_attention_backward_workspace_bytes(const AttentionShape& s);

// dq, dk, dv are written. workspace: flash_attention_backward_workspace_bytes(s).
void flash_attention_backward(const __nv_bfloat16* dout, const __nv_bfloat16* q,
                              const __nv_bfloat16* k, const __nv_bfloat16* v,
                              const __nv_bfloat16* out, const float* lse,
                              const AttentionShape& s, __nv_bfloat16* dq, __nv_bfloat16* dk,
                              __nv_bfloat16* dv, void* workspace, cudaStream_t stream);

}  // namespace parallax::gpu
