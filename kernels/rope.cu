// RoPE kernels (see rope.h): one thread per 8 rotated pairs (i, i + head_dim / 2)
// when head_dim is a multiple of 16, else one thread per pair.
// The angle is pos * inv_freq with inv_freq = theta^(-2i/d) computed in fp32 and
// the sine/cosine by the accurate sincosf (angles reach thousands of radians).
#include "kernels/rope.h"

#include <cmath>
#include <stdexcept>

#include "kernels/check.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;

__global__ void rope_kernel(const bf16* __restrict x, int seq, int heads, int head_dim,
                            float log2_theta, int pos0, float sign, size_t pairs,
                            bf16* __restrict y) {
  const size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= pairs) return;
  const int half = head_dim / 2;
  const int i = int(idx % half);
  const size_t row = idx / half;  // (b * seq + t) * heads + h
  const int t = int((row / heads) % seq);
  const float inv_freq = exp2f(-2.0f * i / head_dim * log2_theta);
  float s, c;
  sincosf(float(pos0 + t) * inv_freq, &s, &c);
  s *= sign;
  const size_t off = row * head_dim + i;
  const float x1 = __bfloat162float(x[off]), x2 = __bfloat162float(x[off + half]);
  y[off] = __float2bfloat16_rn(x1 * c - x2 * s);
  y[off + half] = __float2bfloat16_rn(x2 * c + x1 * s);
}

// Vector path (head_dim % 16 == 0): one thread per 8 consecutive pairs, two
// 16-byte loads (first and second half of the head) and two 16-byte stores.
__global__ void rope_vec8_kernel(const bf16* __restrict x, int seq, int heads, int head_dim,
                                 float log2_theta, int pos0, float sign, size_t groups,
                                 bf16* __restrict y) {
  const size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= groups) return;
  const int half = head_dim / 2, per_row = half / 8;
  const int i0 = int(idx % per_row) * 8;
  const size_t row = idx / per_row;
  const int t = int((row / heads) % seq);
  const size_t off = row * head_dim + i0;
  uint4 lo = *reinterpret_cast<const uint4*>(x + off);
  uint4 hi = *reinterpret_cast<const uint4*>(x + off + half);
  __nv_bfloat162* l2 = reinterpret_cast<__nv_bfloat162*>(&lo);
  __nv_bfloat162* h2 = reinterpret_cast<__nv_bfloat162*>(&hi);
#pragma unroll
  for (int p = 0; p < 4; ++p) {
    const float2 a = __bfloat1622float2(l2[p]), b = __bfloat1622float2(h2[p]);
    float s0, c0, s1, c1;
    sincosf(float(pos0 + t) * exp2f(-2.0f * (i0 + 2 * p) / head_dim * log2_theta), &s0, &c0);
    sincosf(float(pos0 + t) * exp2f(-2.0f * (i0 + 2 * p + 1) / head_dim * log2_theta), &s1, &c1);
    s0 *= sign;
    s1 *= sign;
    l2[p] = __floats2bfloat162_rn(a.x * c0 - b.x * s0, a.y * c1 - b.y * s1);
    h2[p] = __floats2bfloat162_rn(b.x * c0 + a.x * s0, b.y * c1 + a.y * s1);
  }
  *reinterpret_cast<uint4*>(y + off) = lo;
  *reinterpret_cast<uint4*>(y + off + half) = hi;
}

void launch(const bf16* x, int batch, int seq, int heads, int head_dim, float theta, int pos0,
            float sign, bf16* y, cudaStream_t stream) {
  if (head_dim % 2) throw std::invalid_argument("rope: head_dim must be even");
  const size_t pairs = size_t(batch) * seq * heads * (head_dim / 2);
  if (pairs == 0) return;
  if (head_dim % 16 == 0) {
    rope_vec8_kernel<<<static_cast<unsigned>((pairs / 8 + 255) / 256), 256, 0, stream>>>(
        x, seq, heads, head_dim, std::log2(theta), pos0, sign, pairs / 8, y);
    CUDA_CHECK_LAUNCH();
    return;
  }
  rope_kernel<<<static_cast<unsigned>((pairs + 255) / 256), 256, 0, stream>>>(
      x, seq, heads, head_dim, std::log2(theta), pos0, sign, pairs, y);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void rope_forward(const bf16* x, int batch, int seq, int heads, int head_dim, float theta,
                  int pos0, bf16* y, cudaStream_t stream) {
  launch(x, batch, seq, heads, head_dim, theta, pos0, 1.0f, y, stream);
}

void rope_backward(const bf16* dy, int batch, int seq, int heads, int head_dim, float theta,
                   int pos0, bf16* dx, cudaStream_t stream) {
  launch(dy, batch, seq, heads, head_dim, theta, pos0, -1.0f, dx, stream);
}

}  // namespace parallax::gpu
