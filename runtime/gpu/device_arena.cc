// DeviceArena: named, counted cudaMalloc (see device_arena.h).
#include "runtime/gpu/device_arena.h"

#include <cuda_runtime.h>

#include "kernels/check.h"

namespace parallax::gpu {

DeviceArena::~DeviceArena() {
  for (auto& b : blocks_) cudaFree(b.ptr);
}

void* DeviceArena::allocate(const std::string& name, size_t bytes) {
  bytes = (bytes + 255) / 256 * 256;
  void* p = nullptr;
  if (bytes) CUDA_CHECK(cudaMalloc(&p, bytes));
  blocks_.push_back({name, p, bytes});
  allocated_bytes_ += bytes;
  if (allocated_bytes_ > peak_bytes_) peak_bytes_ = allocated_bytes_;
  return p;
}

std::vector<std::pair<std::string, size_t>> DeviceArena::by_name() const {
  std::vector<std::pair<std::string, size_t>> out;
  for (const auto& b : blocks_) {
    bool found = false;
    for (auto& o : out)
      if (o.first == b.name) o.second += b.bytes, found = true;
    if (!found) out.emplace_back(b.name, b.bytes);
  }
  return out;
}

size_t device_used_bytes() {
  size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return total_bytes - free_bytes;
}

}  // namespace parallax::gpu
