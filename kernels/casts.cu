// fp32 <-> bf16 casts (see casts.h): vector bodies with 16-byte accesses on the
// fp32 side (grid-stride loops), a scalar loop for the tail.
#include "kernels/casts.h"

#include <algorithm>

#include "kernels/check.h"

namespace parallax::gpu {
namespace {

__global__ void fp32_to_bf16_kernel(const float* in, __nv_bfloat16* out, size_t n) {
  const size_t n8 = n / 8;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n8; i += stride) {
    const float4 a = reinterpret_cast<const float4*>(in)[2 * i];
    const float4 b = reinterpret_cast<const float4*>(in)[2 * i + 1];
    __nv_bfloat162 r[4] = {__floats2bfloat162_rn(a.x, a.y), __floats2bfloat162_rn(a.z, a.w),
                           __floats2bfloat162_rn(b.x, b.y), __floats2bfloat162_rn(b.z, b.w)};
    reinterpret_cast<uint4*>(out)[i] = *reinterpret_cast<uint4*>(r);
  }
  for (size_t i = n8 * 8 + size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = __float2bfloat16_rn(in[i]);
}

// 4 elements per thread: an 8-byte load and a 16-byte store, so each store
// instruction of a warp covers 512 contiguous bytes.
__global__ void bf16_to_fp32_kernel(const __nv_bfloat16* in, float* out, size_t n) {
  const size_t n4 = n / 4;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    uint2 raw = reinterpret_cast<const uint2*>(in)[i];
    const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
    const float2 f0 = __bfloat1622float2(h[0]), f1 = __bfloat1622float2(h[1]);
    reinterpret_cast<float4*>(out)[i] = make_float4(f0.x, f0.y, f1.x, f1.y);
  }
  for (size_t i = n4 * 4 + size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = __bfloat162float(in[i]);
}

unsigned grid_for(size_t n8) {
  return static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>((n8 + 255) / 256, 132 * 16)));
}

}  // namespace

void cast_fp32_to_bf16(const float* in, __nv_bfloat16* out, size_t n, cudaStream_t stream) {
  if (n == 0) return;
  fp32_to_bf16_kernel<<<grid_for(n / 8), 256, 0, stream>>>(in, out, n);
  CUDA_CHECK_LAUNCH();
}

void cast_bf16_to_fp32(const __nv_bfloat16* in, float* out, size_t n, cudaStream_t stream) {
  if (n == 0) return;
  bf16_to_fp32_kernel<<<grid_for(n / 4), 256, 0, stream>>>(in, out, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace parallax::gpu
