// Fused LM-head softmax cross-entropy on the GPU (as llm.c's fused classifier):
// logits [rows, vocab] bf16 are read twice per row (pass 1: online max and sum,
// pass 2: the gradient) and overwritten in place by
//   dlogits = (softmax(logits) - onehot(target)) * grad_scale   (bf16),
// so the fp32 softmax never exists in memory. losses[row] = lse - logit[target]
// (fp32; 0 for ignored rows, target < 0). With grad_scale = 1 / counted rows
// this is the gradient of the mean loss, as kernels/cpu/cross_entropy.h.
// vocab must be a multiple of 8.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace parallax::gpu {

void softmax_cross_entropy(__nv_bfloat16* logits_to_dlogits, const int32_t* targets, int rows,
                           int vocab, float grad_scale, float* losses, cudaStream_t stream);

}  // namespace parallax::gpu
