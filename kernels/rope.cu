// RoPE kernel (see rope.h): one thread per rotated pair (i, i + head_dim / 2).
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

void launch(const bf16* x, int batch, int seq, int heads, int head_dim, float theta, int pos0,
            float sign, bf16* y, cudaStream_t stream) {
  if (head_dim % 2) throw std::invalid_argument("rope: head_dim must be even");
  const size_t pairs = size_t(batch) * seq * heads * (head_dim / 2);
  if (pairs == 0) return;
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
