// Device memory for a training run, taken once at setup and never inside a step:
// every buffer is one named cudaMalloc recorded here, so the run can print what it
// holds (allocator accounting: bytes by name, total, peak) next to what the driver
// says is in use (cudaMemGetInfo, which adds the CUDA context, cuBLASLt workspace
// and NCCL buffers). Not thread-safe; one arena per process/GPU.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace parallax::gpu {

class DeviceArena {
 public:
  DeviceArena() = default;
  ~DeviceArena();
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;

  // cudaMalloc of `bytes` (rounded up to 256), recorded under `name`.
  void* allocate(const std::string& name, size_t bytes);
  template <typename T>
  T* allocate_n(const std::string& name, size_t n) {
    return static_cast<T*>(allocate(name, n * sizeof(T)));
  }

  size_t allocated_bytes() const { return allocated_bytes_; }
  size_t peak_bytes() const { return peak_bytes_; }
  // (name, bytes) summed by name, in order of first allocation.
  std::vector<std::pair<std::string, size_t>> by_name() const;

 private:
  struct Block {
    std::string name;
    void* ptr;
    size_t bytes;
  };
  std::vector<Block> blocks_;
  size_t allocated_bytes_ = 0;
  size_t peak_bytes_ = 0;
};

// Bytes in use on the current device according to the driver (total - free).
size_t device_used_bytes();

}  // namespace parallax::gpu
