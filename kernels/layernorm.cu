// LayerNorm / RMSNorm forward and backward (see layernorm.h). Both norms share
// one templated kernel pair: kCentered selects LayerNorm (subtract the mean,
// add a bias) over RMSNorm. A warp owns a row and reads it in 16-byte vectors;
// the row stays in L1 between the statistics pass and the output pass.
#include "kernels/layernorm.h"

#include <algorithm>
#include <stdexcept>

#include "kernels/bf16x8.cuh"
#include "kernels/check.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;
constexpr int kWarpsPerBlock = 8;

__device__ __forceinline__ float warp_sum(float v) {
  for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

template <bool kCentered>
__global__ void norm_fwd_kernel(const bf16* __restrict x, const bf16* __restrict weight,
                                const bf16* __restrict bias, int rows, int dim, float eps,
                                bf16* __restrict y, float* __restrict mean,
                                float* __restrict rstd) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= rows) return;
  const bf16* xr = x + size_t(row) * dim;
  float f[8];
  float sum = 0.0f;
  if (kCentered) {
    for (int c = lane * 8; c < dim; c += 256) {
      load_bf16x8(xr + c, f);
#pragma unroll
      for (int i = 0; i < 8; ++i) sum += f[i];
    }
  }
  const float mu = kCentered ? warp_sum(sum) / dim : 0.0f;
  float ss = 0.0f;
  for (int c = lane * 8; c < dim; c += 256) {
    load_bf16x8(xr + c, f);
#pragma unroll
    for (int i = 0; i < 8; ++i) ss += (f[i] - mu) * (f[i] - mu);
  }
  const float rs = rsqrtf(warp_sum(ss) / dim + eps);
  for (int c = lane * 8; c < dim; c += 256) {
    float w[8], bb[8];
    load_bf16x8(xr + c, f);
    load_bf16x8(weight + c, w);
    if (kCentered) load_bf16x8(bias + c, bb);
#pragma unroll
    for (int i = 0; i < 8; ++i) f[i] = (f[i] - mu) * rs * w[i] + (kCentered ? bb[i] : 0.0f);
    store_bf16x8(y + size_t(row) * dim + c, f);
  }
  if (lane == 0) {
    if (kCentered) mean[row] = mu;
    rstd[row] = rs;
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = w * dy; for RMSNorm
// (mu = 0, no mean(g) term) this is rstd * (g - x * rstd^2 * mean(g * x)).
// One warp per row, no shared memory.
template <bool kCentered>
__global__ void norm_bwd_dx_kernel(const bf16* __restrict dy, const bf16* __restrict x,
                                   const bf16* __restrict weight, const float* __restrict mean,
                                   const float* __restrict rstd, int rows, int dim,
                                   bf16* __restrict dx) {
  const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= rows) return;
  const bf16* xr = x + size_t(row) * dim;
  const bf16* dyr = dy + size_t(row) * dim;
  const float mu = kCentered ? mean[row] : 0.0f, rs = rstd[row];
  float g_sum = 0.0f, gx_sum = 0.0f;
  float f[8], d[8], w[8];
  for (int c = lane * 8; c < dim; c += 256) {
    load_bf16x8(xr + c, f);
    load_bf16x8(dyr + c, d);
    load_bf16x8(weight + c, w);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      g_sum += w[i] * d[i];
      gx_sum += w[i] * d[i] * (f[i] - mu) * rs;
    }
  }
  const float g_mean = kCentered ? warp_sum(g_sum) / dim : 0.0f;
  const float gx_mean = warp_sum(gx_sum) / dim;
  for (int c = lane * 8; c < dim; c += 256) {
    load_bf16x8(xr + c, f);
    load_bf16x8(dyr + c, d);
    load_bf16x8(weight + c, w);
#pragma unroll
    for (int i = 0; i < 8; ++i) f[i] = rs * (w[i] * d[i] - g_mean - (f[i] - mu) * rs * gx_mean);
    store_bf16x8(dx + size_t(row) * dim + c, f);
  }
}

// dweight[c] += sum_r dy[r, c] * xhat[r, c], dbias[c] += sum_r dy[r, c]: a column
// reduction. Block (32, 8) covers 256 columns (8 per thread, 16-byte loads) of
// one chunk of rows; the 8 row lanes meet in shared memory, then one atomic per
// column per block goes to the global fp32 gradient.
constexpr int kColThreads = 32, kRowThreads = 8;

template <bool kCentered>
__global__ void norm_bwd_dweight_kernel(const bf16* __restrict dy, const bf16* __restrict x,
                                        const float* __restrict mean,
                                        const float* __restrict rstd, int rows, int dim,
                                        int rows_per_block, float* __restrict dweight,
                                        float* __restrict dbias) {
  __shared__ float s_dw[kRowThreads][8][kColThreads], s_db[kRowThreads][8][kColThreads];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c = (blockIdx.x * kColThreads + tx) * 8;
  const int r0 = blockIdx.y * rows_per_block, r1 = min(rows, r0 + rows_per_block);
  float dw[8] = {0, 0, 0, 0, 0, 0, 0, 0}, db[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (c < dim) {
    for (int r = r0 + ty; r < r1; r += kRowThreads) {
      float f[8], d[8];
      load_bf16x8(x + size_t(r) * dim + c, f);
      load_bf16x8(dy + size_t(r) * dim + c, d);
      const float mu = kCentered ? mean[r] : 0.0f, rs = rstd[r];
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        dw[i] += d[i] * (f[i] - mu) * rs;
        db[i] += d[i];
      }
    }
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    s_dw[ty][i][tx] = dw[i];
    s_db[ty][i][tx] = db[i];
  }
  __syncthreads();
  // Thread (tx, ty) finishes column j = ty * 32 + tx of this block's 256.
  const int j = ty * kColThreads + tx, col = blockIdx.x * kColThreads * 8 + j;
  if (col < dim) {
    float sw = 0.0f, sb = 0.0f;
#pragma unroll
    for (int k = 0; k < kRowThreads; ++k) {
      sw += s_dw[k][j % 8][j / 8];
      sb += s_db[k][j % 8][j / 8];
    }
    atomicAdd(&dweight[col], sw);
    if (kCentered) atomicAdd(&dbias[col], sb);
  }
}

void check_dim(int dim) {
  if (dim % 8 || dim > 16384 || dim <= 0)
    throw std::invalid_argument("norm: dim must be a positive multiple of 8, at most 16384");
}

template <bool kCentered>
void launch_fwd(const bf16* x, const bf16* w, const bf16* b, int rows, int dim, float eps, bf16* y,
                float* mean, float* rstd, cudaStream_t stream) {
  check_dim(dim);
  const unsigned grid = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
  norm_fwd_kernel<kCentered><<<grid, 32 * kWarpsPerBlock, 0, stream>>>(x, w, b, rows, dim, eps, y,
                                                                       mean, rstd);
  CUDA_CHECK_LAUNCH();
}

template <bool kCentered>
void launch_bwd(const bf16* dy, const bf16* x, const bf16* w, const float* mean, const float* rstd,
                int rows, int dim, bf16* dx, float* dw, float* db, cudaStream_t stream) {
  check_dim(dim);
  norm_bwd_dx_kernel<kCentered><<<(rows + kWarpsPerBlock - 1) / kWarpsPerBlock,
                                  32 * kWarpsPerBlock, 0, stream>>>(dy, x, w, mean, rstd, rows,
                                                                    dim, dx);
  CUDA_CHECK_LAUNCH();
  int sms = 0, dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  // About 4 blocks per SM in total, at least 64 rows per block.
  const int col_blocks = (dim + kColThreads * 8 - 1) / (kColThreads * 8);
  const int row_blocks = std::max(1, std::min((rows + 63) / 64, 4 * sms / col_blocks));
  const int rows_per_block = (rows + row_blocks - 1) / row_blocks;
  norm_bwd_dweight_kernel<kCentered>
      <<<dim3(col_blocks, row_blocks), dim3(kColThreads, kRowThreads), 0, stream>>>(
          dy, x, mean, rstd, rows, dim, rows_per_block, dw, db);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void layernorm_forward(const bf16* x, const bf16* weight, const bf16* bias, int rows, int dim,
                       float eps, bf16* y, float* mean, float* rstd, cudaStream_t stream) {
  launch_fwd<true>(x, weight, bias, rows, dim, eps, y, mean, rstd, stream);
}

void layernorm_backward(const bf16* dy, const bf16* x, const bf16* weight, const float* mean,
                        const float* rstd, int rows, int dim, bf16* dx, float* dweight,
                        float* dbias, cudaStream_t stream) {
  launch_bwd<true>(dy, x, weight, mean, rstd, rows, dim, dx, dweight, dbias, stream);
}

void rmsnorm_forward(const bf16* x, const bf16* weight, int rows, int dim, float eps, bf16* y,
                     float* rstd, cudaStream_t stream) {
  launch_fwd<false>(x, weight, nullptr, rows, dim, eps, y, nullptr, rstd, stream);
}

void rmsnorm_backward(const bf16* dy, const bf16* x, const bf16* weight, const float* rstd,
                      int rows, int dim, bf16* dx, float* dweight, cudaStream_t stream) {
  launch_bwd<false>(dy, x, weight, nullptr, rstd, rows, dim, dx, dweight, nullptr, stream);
}

}  // namespace parallax::gpu
