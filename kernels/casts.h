// fp32 <-> bf16 casts on the GPU (round to nearest even, as kernels/cpu/bf16.h),
// 16-byte vector accesses; any n, any stream.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>

namespace parallax::gpu {

void cast_fp32_to_bf16(const float* in, __nv_bfloat16* out, size_t n, cudaStream_t stream);
void cast_bf16_to_fp32(const __nv_bfloat16* in, float* out, size_t n, cudaStream_t stream);

}  // namespace parallax::gpu
