// Device helpers shared by the flash-attention kernels (attention.cu, the tiled
// variants, and attention_baseline.cu, the run-2 kernels kept for comparison):
// mma.sync m16n8k16 bf16, ldmatrix fragment loads, cp.async tile copies.
// Include only from .cu files, inside no namespace.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace parallax::gpu::attn_detail {

using bf16 = __nv_bfloat16;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);  // .x (lo) in the low 16 bits
  return *reinterpret_cast<uint32_t*>(&v);
}

__device__ __forceinline__ uint32_t ld32(const bf16* p) {
  return *reinterpret_cast<const uint32_t*>(p);
}

// c += a * b for one m16n8k16 tile; a: 4 regs (16x16 row-major), b: 2 regs (16x8, k-major).
__device__ __forceinline__ void mma16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// The C fragments of two adjacent 8-column tiles (lo: columns 0..7, hi: 8..15)
// of a 16x16 fp32 result, rounded to bf16, are exactly the A fragment of that
// 16x16 tile: P and dS feed the next product without leaving registers.
__device__ __forceinline__ void c_to_a(uint32_t (&a)[4], const float (&lo)[4],
                                       const float (&hi)[4]) {
  a[0] = pack_bf16(lo[0], lo[1]);
  a[1] = pack_bf16(lo[2], lo[3]);
  a[2] = pack_bf16(hi[0], hi[1]);
  a[3] = pack_bf16(hi[2], hi[3]);
}

// ldmatrix: lane l supplies the address of row (l % 8) of 8x8 matrix (l / 8);
// register i receives matrix i in the mma fragment layout (.trans: transposed).
__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], const bf16* p) {
  const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

__device__ __forceinline__ void ldsm_x4_t(uint32_t (&r)[4], const bf16* p) {
  const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

// A fragment of the 16x16 tile at base (row-major, pitch p).
__device__ __forceinline__ void load_a(uint32_t (&a)[4], const bf16* base, int pitch, int lane) {
  ldsm_x4(a, base + (((lane >> 3) & 1) * 8 + (lane & 7)) * pitch + (lane >> 4) * 8);
}

// A fragment of the 16x16 tile stored transposed, element (m, k) at base[k * pitch + m].
__device__ __forceinline__ void load_a_kmajor(uint32_t (&a)[4], const bf16* base, int pitch,
                                              int lane) {
  ldsm_x4_t(a, base + ((lane >> 4) * 8 + (lane & 7)) * pitch + ((lane >> 3) & 1) * 8);
}

// B fragments of two adjacent 8-wide n tiles (16 k x 16 n) from n-major storage,
// element (k, n) at base[n * pitch + k]: b[0..1] for n 0..7, b[2..3] for n 8..15.
__device__ __forceinline__ void load_b_nmajor(uint32_t (&b)[4], const bf16* base, int pitch,
                                              int lane) {
  ldsm_x4(b, base + ((lane >> 4) * 8 + (lane & 7)) * pitch + ((lane >> 3) & 1) * 8);
}

// Same from k-major storage, element (k, n) at base[k * pitch + n] (ldmatrix.trans).
__device__ __forceinline__ void load_b_kmajor(uint32_t (&b)[4], const bf16* base, int pitch,
                                              int lane) {
  ldsm_x4_t(b, base + (((lane >> 3) & 1) * 8 + (lane & 7)) * pitch + (lane >> 4) * 8);
}

// 16-byte global -> shared copy that bypasses registers; zero-fills when !pred.
__device__ __forceinline__ void cp_async16(bf16* dst, const bf16* src, bool pred) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src),
               "r"(pred ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n"); }
__device__ __forceinline__ void cp_async_wait_1() {
  asm volatile("cp.async.wait_group 1;\n" ::: "memory");
}
__device__ __forceinline__ void cp_async_wait_0() {
  asm volatile("cp.async.wait_group 0;\n" ::: "memory");
}

// Start copying rows [row0, row0 + rows) of a [seq, stride] bf16 tensor (head
// offset applied) into smem, row-major with pitch `pitch`; rows past seq are zero.
template <int D>
__device__ __forceinline__ void load_rows_async(bf16* dst, int pitch, const bf16* src,
                                                size_t stride, int row0, int rows, int seq) {
  for (int idx = threadIdx.x; idx < rows * (D / 8); idx += blockDim.x) {
    const int r = idx / (D / 8), c8 = (idx % (D / 8)) * 8;
    const bool ok = row0 + r < seq;
    cp_async16(dst + r * pitch + c8, ok ? src + (row0 + r) * stride + c8 : src, ok);
  }
}

// 2^x on the special-function unit, flushing subnormals (exp2f adds range
// fix-ups around the same instruction); 2^-inf = 0.
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// out[0..3] += {a, b, c, d} in fp32 global memory (one vector reduction on sm_90);
// out 16-byte aligned.
__device__ __forceinline__ void atomic_add4(float* out, float a, float b, float c, float d) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("red.relaxed.gpu.global.add.v4.f32 [%0], {%1, %2, %3, %4};\n" ::"l"(out), "f"(a),
               "f"(b), "f"(c), "f"(d)
               : "memory");
#else
  atomicAdd(out, a);
  atomicAdd(out + 1, b);
  atomicAdd(out + 2, c);
  atomicAdd(out + 3, d);
#endif
}

}  // namespace parallax::gpu::attn_detail
