// Helpers for the GPU kernel tests: skip without a device, RAII device buffers
// that start poisoned (all bytes 0xFF: NaN in fp32 and bf16) so an unwritten
// output fails the comparison, and bf16 <-> float conversion on the host
// through the CPU reference's round-to-nearest-even.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/check.h"
#include "kernels/cpu/bf16.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::gpu::testing {

using ::parallax::cpu::testing::random_vector;
using ::parallax::cpu::testing::rel_error;

inline bool has_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

#define SKIP_WITHOUT_GPU() \
  if (!::parallax::gpu::testing::has_gpu()) GTEST_SKIP() << "no CUDA device"

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    CUDA_CHECK(cudaMalloc(&ptr_, bytes() ? bytes() : 1));
    CUDA_CHECK(cudaMemset(ptr_, 0xFF, bytes()));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void upload(const std::vector<T>& host) {
    CUDA_CHECK(cudaMemcpy(ptr_, host.data(), bytes(), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    CUDA_CHECK(cudaDeviceSynchronize());
    CUDA_CHECK(cudaMemcpy(host.data(), ptr_, bytes(), cudaMemcpyDeviceToHost));
    return host;
  }
  T* get() const { return ptr_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

 private:
  T* ptr_ = nullptr;
  size_t n_;
};

inline std::vector<__nv_bfloat16> to_bf16(const std::vector<float>& x) {
  std::vector<__nv_bfloat16> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const uint16_t bits = ::parallax::cpu::float_to_bf16_bits(x[i]);
    std::memcpy(static_cast<void*>(&out[i]), &bits, sizeof bits);
  }
  return out;
}

inline std::vector<float> to_float(const std::vector<__nv_bfloat16>& x) {
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, &x[i], sizeof bits);
    out[i] = ::parallax::cpu::bf16_bits_to_float(bits);
  }
  return out;
}

// Random values already on the bf16 grid, so CPU and GPU see identical inputs.
inline std::vector<float> random_bf16_values(size_t n, unsigned seed, float lo = -1.0f,
                                             float hi = 1.0f) {
  auto v = random_vector(n, seed, lo, hi);
  ::parallax::cpu::bf16_round_inplace(v.data(), v.size());
  return v;
}

// Relative error of a bf16 device result against an fp32 reference; NaN (an
// unwritten, poisoned element) makes it NaN, which fails every EXPECT_LT.
inline double rel_error_bf16(const DeviceBuffer<__nv_bfloat16>& got, const std::vector<float>& ref) {
  return rel_error(to_float(got.download()), ref);
}

inline double rel_error_f32(const DeviceBuffer<float>& got, const std::vector<float>& ref) {
  return rel_error(got.download(), ref);
}

}  // namespace parallax::gpu::testing
