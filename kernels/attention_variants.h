// Tile variants of the flash-attention kernels, for tests and benchmarks:
// every variant computes the same thing as flash_attention_forward/backward
// (same arguments, same workspace) with other block sizes. Variant 0 is "run2",
// the kernels before tuning (kept to measure against in the same run); the
// defaults, which flash_attention_forward/backward use, were picked per
// head_dim and direction from kernels_bench --only=attention on an H200
// (bench/kernels/RESULTS.md, run 3).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "kernels/attention.h"

namespace parallax::gpu {

int attention_forward_variant_count();
int attention_backward_variant_count();
// e.g. "w8m1n64": 8 warps of 16 query rows (m1) against 64-key tiles.
const char* attention_forward_variant_name(int variant);
// e.g. "w8q64": 8 warps of 16 keys (128 keys per block) against 64-row query tiles.
const char* attention_backward_variant_name(int variant);
int attention_default_forward_variant(int head_dim);
int attention_default_backward_variant(int head_dim);

void flash_attention_forward_variant(int variant, const __nv_bfloat16* q, const __nv_bfloat16* k,
                                     const __nv_bfloat16* v, const AttentionShape& s,
                                     __nv_bfloat16* out, float* lse, cudaStream_t stream);
void flash_attention_backward_variant(int variant, const __nv_bfloat16* dout,
                                      const __nv_bfloat16* q, const __nv_bfloat16* k,
                                      const __nv_bfloat16* v, const __nv_bfloat16* out,
                                      const float* lse, const AttentionShape& s,
                                      __nv_bfloat16* dq, __nv_bfloat16* dk, __nv_bfloat16* dv,
                                      void* workspace, cudaStream_t stream);

namespace attn_detail {  // shared between attention.cu and attention_baseline.cu

// The dK/dV/dQ kernel's inputs once delta = rowsum(dO * O) is known; dq_acc is
// the zeroed fp32 dQ accumulator that is cast to bf16 afterwards.
struct BwdArgs {
  const __nv_bfloat16 *dout, *q, *k, *v;
  const float *lse, *delta;
  float* dq_acc;
  __nv_bfloat16 *dk, *dv;
  AttentionShape s;
};

void run2_forward(const __nv_bfloat16* q, const __nv_bfloat16* k, const __nv_bfloat16* v,
                  const AttentionShape& s, __nv_bfloat16* out, float* lse, cudaStream_t stream);
void run2_backward(const BwdArgs& a, cudaStream_t stream);

}  // namespace attn_detail
}  // namespace parallax::gpu
