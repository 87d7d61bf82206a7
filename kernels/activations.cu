// GELU and SwiGLU kernels (see activations.h): one thread per 8 elements,
// 16-byte loads and stores, fp32 math.
#include "kernels/activations.h"

#include <stdexcept>
#include <string>

#include "kernels/activations_math.cuh"
#include "kernels/bf16x8.cuh"
#include "kernels/check.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;

struct Vec8 {
  float f[8];
  __device__ __forceinline__ void load(const bf16* p) { load_bf16x8(p, f); }
  __device__ __forceinline__ void store(bf16* p) const { store_bf16x8(p, f); }
};

__global__ void gelu_fwd_kernel(const bf16* __restrict x, size_t n8, bf16* __restrict y) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n8) return;
  Vec8 v;
  v.load(x + 8 * i);
#pragma unroll
  for (int e = 0; e < 8; ++e) v.f[e] = gelu_f(v.f[e]);
  v.store(y + 8 * i);
}

__global__ void gelu_bwd_kernel(const bf16* __restrict dy, const bf16* __restrict x, size_t n8,
                                bf16* __restrict dx) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n8) return;
  Vec8 d, v;
  d.load(dy + 8 * i);
  v.load(x + 8 * i);
#pragma unroll
  for (int e = 0; e < 8; ++e) d.f[e] *= gelu_grad_f(v.f[e]);
  d.store(dx + 8 * i);
}

__global__ void swiglu_fwd_kernel(const bf16* __restrict gu, int rows, int hidden,
                                  bf16* __restrict out) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int vecs = hidden / 8;
  if (i >= size_t(rows) * vecs) return;
  const size_t r = i / vecs;
  const int c = int(i % vecs) * 8;
  Vec8 g, u;
  g.load(gu + r * 2 * hidden + c);
  u.load(gu + r * 2 * hidden + hidden + c);
#pragma unroll
  for (int e = 0; e < 8; ++e) g.f[e] = g.f[e] * sigmoid_f(g.f[e]) * u.f[e];
  g.store(out + r * hidden + c);
}

__global__ void swiglu_bwd_kernel(const bf16* __restrict dout, const bf16* __restrict gu, int rows,
                                  int hidden, bf16* __restrict dgu) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int vecs = hidden / 8;
  if (i >= size_t(rows) * vecs) return;
  const size_t r = i / vecs;
  const int c = int(i % vecs) * 8;
  Vec8 g, u, d, dg, du;
  g.load(gu + r * 2 * hidden + c);
  u.load(gu + r * 2 * hidden + hidden + c);
  d.load(dout + r * hidden + c);
#pragma unroll
  for (int e = 0; e < 8; ++e) {
    const float s = sigmoid_f(g.f[e]);
    dg.f[e] = d.f[e] * u.f[e] * s * (1.0f + g.f[e] * (1.0f - s));
    du.f[e] = d.f[e] * g.f[e] * s;
  }
  dg.store(dgu + r * 2 * hidden + c);
  du.store(dgu + r * 2 * hidden + hidden + c);
}

unsigned blocks(size_t n) { return static_cast<unsigned>((n + 255) / 256); }

void need8(size_t n, const char* what) {
  if (n % 8) throw std::invalid_argument(std::string(what) + ": size must be a multiple of 8");
}

}  // namespace

void gelu_forward(const bf16* x, size_t n, bf16* y, cudaStream_t stream) {
  need8(n, "gelu_forward");
  if (n == 0) return;
  gelu_fwd_kernel<<<blocks(n / 8), 256, 0, stream>>>(x, n / 8, y);
  CUDA_CHECK_LAUNCH();
}

void gelu_backward(const bf16* dy, const bf16* x, size_t n, bf16* dx, cudaStream_t stream) {
  need8(n, "gelu_backward");
  if (n == 0) return;
  gelu_bwd_kernel<<<blocks(n / 8), 256, 0, stream>>>(dy, x, n / 8, dx);
  CUDA_CHECK_LAUNCH();
}

void swiglu_forward(const bf16* gate_up, int rows, int hidden, bf16* out, cudaStream_t stream) {
  need8(hidden, "swiglu_forward");
  swiglu_fwd_kernel<<<blocks(size_t(rows) * hidden / 8), 256, 0, stream>>>(gate_up, rows, hidden,
                                                                           out);
  CUDA_CHECK_LAUNCH();
}

void swiglu_backward(const bf16* dout, const bf16* gate_up, int rows, int hidden, bf16* dgate_up,
                     cudaStream_t stream) {
  need8(hidden, "swiglu_backward");
  swiglu_bwd_kernel<<<blocks(size_t(rows) * hidden / 8), 256, 0, stream>>>(dout, gate_up, rows,
                                                                           hidden, dgate_up);
  CUDA_CHECK_LAUNCH();
}

}  // namespace parallax::gpu
