// Multi-tensor AdamW and gradient sum of squares (see adamw.h). The tensor list
// travels by value as a kernel parameter (pointers + a prefix sum of chunk
// counts, < 4 KB); block b finds its tensor by scanning the prefix sums.
#include "kernels/adamw.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/check.h"

namespace parallax::gpu {
namespace {

constexpr int kMaxTensors = 64;
constexpr size_t kChunk = 16384;
constexpr int kThreads = 512;

struct TensorList {
  AdamWTensor t[kMaxTensors];
  int chunk_start[kMaxTensors + 1];  // prefix sum of chunks per tensor
  int count;
};

__device__ __forceinline__ int find_tensor(const TensorList& list, int block) {
  int i = 0;
  while (i + 1 < list.count && list.chunk_start[i + 1] <= block) ++i;
  return i;
}

__global__ void __launch_bounds__(kThreads)
    adamw_kernel(const __grid_constant__ TensorList list, AdamWConfig cfg, float bc1, float bc2,
                 const float* __restrict grad_sumsq, float max_norm) {
  const int ti = find_tensor(list, blockIdx.x);
  const AdamWTensor& T = list.t[ti];
  const size_t begin = size_t(blockIdx.x - list.chunk_start[ti]) * kChunk;
  const size_t end = min(T.n, begin + kChunk);
  float gscale = 1.0f;
  if (grad_sumsq) {
    const float norm = sqrtf(*grad_sumsq);
    if (norm > max_norm) gscale = max_norm / (norm + 1e-6f);
  }
  for (size_t i = begin + threadIdx.x; i < end; i += kThreads) {
    const float g = T.grad[i] * gscale;
    const float m = cfg.beta1 * T.m[i] + (1.0f - cfg.beta1) * g;
    const float v = cfg.beta2 * T.v[i] + (1.0f - cfg.beta2) * g * g;
    T.m[i] = m;
    T.v[i] = v;
    float p = T.param[i];
    p -= cfg.lr * ((m / bc1) / (sqrtf(v / bc2) + cfg.eps) + cfg.weight_decay * p);
    T.param[i] = p;
    if (T.param_bf16) T.param_bf16[i] = __float2bfloat16_rn(p);
  }
}

__global__ void __launch_bounds__(kThreads)
    sumsq_kernel(const __grid_constant__ TensorList list, float* __restrict sumsq) {
  __shared__ float warp_sums[kThreads / 32];
  const int ti = find_tensor(list, blockIdx.x);
  const AdamWTensor& T = list.t[ti];
  const size_t begin = size_t(blockIdx.x - list.chunk_start[ti]) * kChunk;
  const size_t end = min(T.n, begin + kChunk);
  float acc = 0.0f;
  for (size_t i = begin + threadIdx.x; i < end; i += kThreads) acc += T.grad[i] * T.grad[i];
  for (int off = 16; off > 0; off /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, off);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = acc;
  __syncthreads();
  if (threadIdx.x < 32) {
    acc = threadIdx.x < kThreads / 32 ? warp_sums[threadIdx.x] : 0.0f;
    for (int off = 16; off > 0; off /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, off);
    if (threadIdx.x == 0) atomicAdd(sumsq, acc);
  }
}

// Calls launch(list, blocks) for each batch of up to kMaxTensors non-empty tensors.
template <typename Launch>
void for_each_batch(const std::vector<AdamWTensor>& tensors, Launch launch) {
  TensorList list{};
  auto flush = [&] {
    if (list.count == 0) return;
    launch(list, list.chunk_start[list.count]);
    list = TensorList{};
  };
  for (const AdamWTensor& t : tensors) {
    if (t.n == 0) continue;
    const size_t chunks = (t.n + kChunk - 1) / kChunk;
    if (size_t(list.chunk_start[list.count]) + chunks > (1u << 30))
      throw std::invalid_argument("adamw: tensor too large");
    list.t[list.count] = t;
    list.chunk_start[list.count + 1] = list.chunk_start[list.count] + int(chunks);
    if (++list.count == kMaxTensors) flush();
  }
  flush();
}

}  // namespace

void grad_sumsq_multi_tensor(const std::vector<AdamWTensor>& tensors, float* sumsq,
                             cudaStream_t stream) {
  for_each_batch(tensors, [&](const TensorList& list, int blocks) {
    sumsq_kernel<<<blocks, kThreads, 0, stream>>>(list, sumsq);
    CUDA_CHECK_LAUNCH();
  });
}

void adamw_multi_tensor(const std::vector<AdamWTensor>& tensors, const AdamWConfig& cfg, int step,
                        const float* grad_sumsq, float max_norm, cudaStream_t stream) {
  if (step < 1) throw std::invalid_argument("adamw_multi_tensor: step counts from 1");
  const float bc1 = 1.0f - std::pow(cfg.beta1, float(step));
  const float bc2 = 1.0f - std::pow(cfg.beta2, float(step));
  for_each_batch(tensors, [&](const TensorList& list, int blocks) {
    adamw_kernel<<<blocks, kThreads, 0, stream>>>(list, cfg, bc1, bc2, grad_sumsq, max_norm);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace parallax::gpu
