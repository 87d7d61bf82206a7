// Small GPU kernels the training step needs beside kernels/: the bias gradient
// (column sums of dy added into fp32), the bf16 residual-gradient add, and
// seeded parameter init. Init is runtime/hash.h's HashNormalOf, the CPU
// backend's formula, so a tensor's values depend only on (seed, global
// parameter id, index): the same on every GPU, every run and the CPU backend,
// with no host RNG over 1e9 elements.
// cols (bias_grad) and n (add) must be multiples of 8 (16-byte vectors).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace parallax::gpu {

// dbias[c] += sum_r dy[r, c].
void bias_grad(const __nv_bfloat16* dy, int rows, int cols, float* dbias, cudaStream_t stream);

// out = a + b (out may alias a or b).
void add_bf16(const __nv_bfloat16* a, const __nv_bfloat16* b, size_t n, __nv_bfloat16* out,
              cudaStream_t stream);

// p[i] = stddev * HashNormalOf(seed, param_id, i).
void fill_normal(float* p, size_t n, float stddev, uint64_t seed, uint64_t param_id,
                 cudaStream_t stream);
void fill_value(float* p, size_t n, float value, cudaStream_t stream);

}  // namespace parallax::gpu
