// Fused softmax cross-entropy (see cross_entropy.h): one block of 512 threads
// per row; each thread keeps its own running (max, sum of exp) over 16-byte
// chunks, the block merges them, then a second pass writes the gradient.
#include "kernels/cross_entropy.h"

#include <stdexcept>

#include "kernels/bf16x8.cuh"
#include "kernels/check.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;
constexpr int kThreads = 512;

// Merge (m2, s2) into (m, s): s = s e^(m - M) + s2 e^(m2 - M).
__device__ __forceinline__ void merge(float& m, float& s, float m2, float s2) {
  const float mx = fmaxf(m, m2);
  if (mx == -INFINITY) return;
  s = s * __expf(m - mx) + s2 * __expf(m2 - mx);
  m = mx;
}

__global__ void __launch_bounds__(kThreads)
    cross_entropy_kernel(bf16* __restrict logits, const int32_t* __restrict targets, int vocab,
                         float grad_scale, float* __restrict losses) {
  __shared__ float sm_m[kThreads / 32], sm_s[kThreads / 32];
  __shared__ float row_lse;
  const size_t row = blockIdx.x;
  bf16* x = logits + row * vocab;
  const int target = targets[row];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;

  float m = -INFINITY, s = 0.0f;
  for (int c = threadIdx.x * 8; c < vocab; c += kThreads * 8) {
    float f[8];
    load_bf16x8(x + c, f);
    float cm = f[0];
#pragma unroll
    for (int i = 1; i < 8; ++i) cm = fmaxf(cm, f[i]);
    float cs = 0.0f;
#pragma unroll
    for (int i = 0; i < 8; ++i) cs += __expf(f[i] - cm);
    merge(m, s, cm, cs);
  }
  for (int off = 16; off > 0; off /= 2)
    merge(m, s, __shfl_xor_sync(0xffffffffu, m, off), __shfl_xor_sync(0xffffffffu, s, off));
  if (lane == 0) sm_m[warp] = m, sm_s[warp] = s;
  __syncthreads();
  if (warp == 0) {
    m = lane < kThreads / 32 ? sm_m[lane] : -INFINITY;
    s = lane < kThreads / 32 ? sm_s[lane] : 0.0f;
    for (int off = 16; off > 0; off /= 2)
      merge(m, s, __shfl_xor_sync(0xffffffffu, m, off), __shfl_xor_sync(0xffffffffu, s, off));
    if (lane == 0) {
      row_lse = m + __logf(s);
      losses[row] = target >= 0 ? row_lse - __bfloat162float(x[target]) : 0.0f;
    }
  }
  __syncthreads();  // also orders the read of x[target] above before the writes below
  const float lse = row_lse;
  const float scale = target >= 0 ? grad_scale : 0.0f;
  for (int c = threadIdx.x * 8; c < vocab; c += kThreads * 8) {
    uint4 raw = *reinterpret_cast<const uint4*>(x + c);
    __nv_bfloat162* h = reinterpret_cast<__nv_bfloat162*>(&raw);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float2 v = __bfloat1622float2(h[i]);
      const float p0 = __expf(v.x - lse) - (c + 2 * i == target ? 1.0f : 0.0f);
      const float p1 = __expf(v.y - lse) - (c + 2 * i + 1 == target ? 1.0f : 0.0f);
      h[i] = __floats2bfloat162_rn(p0 * scale, p1 * scale);
    }
    *reinterpret_cast<uint4*>(x + c) = raw;
  }
}

}  // namespace

void softmax_cross_entropy(bf16* logits, const int32_t* targets, int rows, int vocab,
                           float grad_scale, float* losses, cudaStream_t stream) {
  if (vocab % 8) throw std::invalid_argument("softmax_cross_entropy: vocab must be a multiple of 8");
  if (rows == 0) return;
  cross_entropy_kernel<<<rows, kThreads, 0, stream>>>(logits, targets, vocab, grad_scale, losses);
  CUDA_CHECK_LAUNCH();
}

}  // namespace parallax::gpu
