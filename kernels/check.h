// Checked CUDA / cuBLAS calls: every failing call throws std::runtime_error
// naming the call, the error string and file:line, so no failure goes unseen
// (exit code 0 of a kernel launch proves nothing). CUDA_CHECK_LAUNCH() after a
// <<<...>>> launch picks up bad launch configurations.
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace parallax::gpu::detail {

[[noreturn]] inline void fail(const char* what, const std::string& why, const char* file,
                              int line) {
  throw std::runtime_error(std::string(what) + " failed: " + why + " at " + file + ":" +
                           std::to_string(line));
}

}  // namespace parallax::gpu::detail

#define CUDA_CHECK(call)                                                                   \
  do {                                                                                     \
    cudaError_t err_ = (call);                                                             \
    if (err_ != cudaSuccess)                                                               \
      ::parallax::gpu::detail::fail(#call, cudaGetErrorString(err_), __FILE__, __LINE__);  \
  } while (0)

#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

// Needs <cublasLt.h> (or <cublas_v2.h>) included before use.
#define CUBLAS_CHECK(call)                                                                  \
  do {                                                                                      \
    cublasStatus_t st_ = (call);                                                            \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                       \
      ::parallax::gpu::detail::fail(#call, "cublas status " + std::to_string(int(st_)),     \
                                    __FILE__, __LINE__);                                    \
  } while (0)
