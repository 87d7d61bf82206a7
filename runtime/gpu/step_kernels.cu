// Step kernels (see step_kernels.h).
#include "runtime/gpu/step_kernels.h"

#include "kernels/check.h"
#include "runtime/hash.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;

// Block: 32 threads across 8 columns each (256 columns), 8 warps down the rows.
// Each block sums kRowsPerBlock rows, reduces its warps in shared memory and
// adds once per column into fp32.
constexpr int kRowsPerBlock = 64;

__global__ void bias_grad_kernel(const bf16* __restrict dy, int rows, int cols,
                                 float* __restrict dbias) {
  __shared__ float part[8][256];
  const int lane = threadIdx.x, warp = threadIdx.y;
  const int c0 = blockIdx.x * 256 + lane * 8;
  const int r_begin = blockIdx.y * kRowsPerBlock;
  const int r_end = min(rows, r_begin + kRowsPerBlock);
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (c0 < cols) {
    for (int r = r_begin + warp; r < r_end; r += 8) {
      const uint4 raw = *reinterpret_cast<const uint4*>(dy + size_t(r) * cols + c0);
      const bf16* v = reinterpret_cast<const bf16*>(&raw);
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[e] += __bfloat162float(v[e]);
    }
  }
#pragma unroll
  for (int e = 0; e < 8; ++e) part[warp][lane * 8 + e] = acc[e];
  __syncthreads();
  const int t = warp * 32 + lane;  // 256 threads, one column each
  const int c = blockIdx.x * 256 + t;
  if (c < cols) {
    float s = 0;
#pragma unroll
    for (int w = 0; w < 8; ++w) s += part[w][t];
    atomicAdd(dbias + c, s);
  }
}

__global__ void add_kernel(const bf16* a, const bf16* b, size_t n8, bf16* out) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n8) return;
  const uint4 ra = reinterpret_cast<const uint4*>(a)[i];
  const uint4 rb = reinterpret_cast<const uint4*>(b)[i];
  const __nv_bfloat162* pa = reinterpret_cast<const __nv_bfloat162*>(&ra);
  const __nv_bfloat162* pb = reinterpret_cast<const __nv_bfloat162*>(&rb);
  uint4 ro;
  __nv_bfloat162* po = reinterpret_cast<__nv_bfloat162*>(&ro);
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const float2 fa = __bfloat1622float2(pa[e]), fb = __bfloat1622float2(pb[e]);
    po[e] = __floats2bfloat162_rn(fa.x + fb.x, fa.y + fb.y);
  }
  reinterpret_cast<uint4*>(out)[i] = ro;
}

__global__ void fill_normal_kernel(float* p, size_t n, float stddev, uint64_t seed,
                                   uint64_t param_id) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x)
    p[i] = stddev * HashNormalOf(seed, param_id, i);
}

__global__ void fill_value_kernel(float* p, size_t n, float value) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x)
    p[i] = value;
}

}  // namespace

void bias_grad(const bf16* dy, int rows, int cols, float* dbias, cudaStream_t stream) {
  const dim3 grid((cols + 255) / 256, (rows + kRowsPerBlock - 1) / kRowsPerBlock);
  bias_grad_kernel<<<grid, dim3(32, 8), 0, stream>>>(dy, rows, cols, dbias);
  CUDA_CHECK_LAUNCH();
}

void add_bf16(const bf16* a, const bf16* b, size_t n, bf16* out, cudaStream_t stream) {
  const size_t n8 = n / 8;
  if (n8 == 0) return;
  add_kernel<<<unsigned((n8 + 255) / 256), 256, 0, stream>>>(a, b, n8, out);
  CUDA_CHECK_LAUNCH();
}

void fill_normal(float* p, size_t n, float stddev, uint64_t seed, uint64_t param_id,
                 cudaStream_t stream) {
  if (!n) return;
  fill_normal_kernel<<<1024, 256, 0, stream>>>(p, n, stddev, seed, param_id);
  CUDA_CHECK_LAUNCH();
}

void fill_value(float* p, size_t n, float value, cudaStream_t stream) {
  if (!n) return;
  fill_value_kernel<<<1024, 256, 0, stream>>>(p, n, value);
  CUDA_CHECK_LAUNCH();
}

}  // namespace parallax::gpu
