// cuBLASLt GEMM wrapper for the transformer's linear layers: bf16 A and B, fp32
// accumulation, bf16 or fp32 output, optional bias epilogue (bias[n] added to
// every row, element type = output type). Row-major, as the CPU reference
// kernels/cpu/matmul.h:  C[m, n] = alpha op(A) op(B) + beta C (+ bias)
//   forward  y  = x W^T    matmul(x, false, W, true,  y, ..., m=tokens, n=out, k=in)
//   dgrad    dx = dy W     matmul(dy, false, W, false, dx, ..., m=tokens, n=in, k=out)
//   wgrad    dW += dy^T x  matmul(dy, true, x, false, dW, kFp32, m=out, n=in, k=tokens, beta=1)
// Descriptors and the heuristic's algorithm are cached per shape; one workspace
// per GemmRunner. Pointers must be 16-byte aligned (cudaMalloc gives 256).
// A GemmRunner is not thread-safe; use one per stream/thread.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <map>
#include <memory>
#include <tuple>

namespace parallax::gpu {

enum class GemmOut { kBf16, kFp32 };

class GemmRunner {
 public:
  explicit GemmRunner(size_t workspace_bytes = size_t(32) << 20);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  // A is [m, k] ([k, m] if trans_a); B is [k, n] ([n, k] if trans_b); C is [m, n].
  void matmul(const __nv_bfloat16* a, bool trans_a, const __nv_bfloat16* b, bool trans_b, void* c,
              GemmOut c_type, int m, int n, int k, float alpha, float beta, const void* bias,
              cudaStream_t stream);

  size_t cached_plans() const { return plans_.size(); }

 private:
  struct Plan;
  using Key = std::tuple<int, int, int, bool, bool, GemmOut, bool>;
  Plan& plan_for(const Key& key);

  void* handle_ = nullptr;  // cublasLtHandle_t
  void* workspace_ = nullptr;
  size_t workspace_bytes_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace parallax::gpu
