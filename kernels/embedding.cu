// Embedding lookup + position add, and its backward (see embedding.h).
#include "kernels/embedding.h"

#include <stdexcept>

#include "kernels/check.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;

// One thread per 8 channels of one token.
__global__ void embedding_fwd_kernel(const int32_t* __restrict tokens, const bf16* __restrict wte,
                                     const bf16* __restrict wpe, int n_tokens, int seq, int dim,
                                     bf16* __restrict out) {
  const size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int vecs = dim / 8;
  if (idx >= size_t(n_tokens) * vecs) return;
  const size_t row = idx / vecs;
  const int c = int(idx % vecs) * 8;
  uint4 raw = *reinterpret_cast<const uint4*>(wte + size_t(tokens[row]) * dim + c);
  if (wpe) {
    const uint4 p = *reinterpret_cast<const uint4*>(wpe + size_t(row % seq) * dim + c);
    __nv_bfloat162* a = reinterpret_cast<__nv_bfloat162*>(&raw);
    const __nv_bfloat162* bb = reinterpret_cast<const __nv_bfloat162*>(&p);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float2 x = __bfloat1622float2(a[i]), y = __bfloat1622float2(bb[i]);
      a[i] = __floats2bfloat162_rn(x.x + y.x, x.y + y.y);
    }
  }
  *reinterpret_cast<uint4*>(out + row * dim + c) = raw;
}

__global__ void embedding_bwd_wte_kernel(const int32_t* __restrict tokens,
                                         const bf16* __restrict dout, int n_tokens, int dim,
                                         float* __restrict dwte) {
  const size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int vecs = dim / 2;
  if (idx >= size_t(n_tokens) * vecs) return;
  const size_t row = idx / vecs;
  const int c = int(idx % vecs) * 2;
  const float2 g = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(dout + row * dim + c));
  float* dst = dwte + size_t(tokens[row]) * dim + c;
  atomicAdd(dst, g.x);
  atomicAdd(dst + 1, g.y);
}

// One thread per (t, channel): sum over the batch.
__global__ void embedding_bwd_wpe_kernel(const bf16* __restrict dout, int batch, int seq, int dim,
                                         float* __restrict dwpe) {
  const size_t idx = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= size_t(seq) * dim) return;
  float acc = 0.0f;
  for (int b = 0; b < batch; ++b) acc += __bfloat162float(dout[size_t(b) * seq * dim + idx]);
  dwpe[idx] += acc;
}

unsigned blocks(size_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

}  // namespace

void embedding_forward(const int32_t* tokens, const bf16* wte, const bf16* wpe, int batch, int seq,
                       int dim, bf16* out, cudaStream_t stream) {
  if (dim % 8) throw std::invalid_argument("embedding_forward: dim must be a multiple of 8");
  const size_t n = size_t(batch) * seq * (dim / 8);
  embedding_fwd_kernel<<<blocks(n, 256), 256, 0, stream>>>(tokens, wte, wpe, batch * seq, seq, dim,
                                                           out);
  CUDA_CHECK_LAUNCH();
}

void embedding_backward(const int32_t* tokens, const bf16* dout, int batch, int seq, int dim,
                        float* dwte, float* dwpe, cudaStream_t stream) {
  if (dim % 8) throw std::invalid_argument("embedding_backward: dim must be a multiple of 8");
  const size_t n = size_t(batch) * seq * (dim / 2);
  embedding_bwd_wte_kernel<<<blocks(n, 256), 256, 0, stream>>>(tokens, dout, batch * seq, dim, dwte);
  CUDA_CHECK_LAUNCH();
  if (dwpe) {
    embedding_bwd_wpe_kernel<<<blocks(size_t(seq) * dim, 256), 256, 0, stream>>>(dout, batch, seq,
                                                                                 dim, dwpe);
    CUDA_CHECK_LAUNCH();
  }
}

}  // namespace parallax::gpu
