// NCCL backend of runtime/communicator.h for one process per local GPU. Rank 0
// makes the NCCL unique id and hands it over through a file written beside
// id_path and renamed into place (atomic: a reader never sees half an id);
// the other ranks wait for it up to timeout_s. Buffers are device pointers.
// The Communicator calls are blocking (they run on an internal stream and
// synchronize it); the *_async calls are stream-ordered on the caller's stream
// (a communication stream, for overlap with backward) and do not block.
// Lifetime: one per process; the CUDA device must be set before construction.
// Destroyed during exception unwinding it aborts the communicator (no wait).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <string>

#include "runtime/communicator.h"

namespace parallax::gpu {

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(int rank, int size, const std::string& id_path, double timeout_s = 60);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce(float* buf, size_t count) override;
  void reduce_scatter(const float* in, float* out, size_t count) override;
  void all_gather(const float* in, float* out, size_t count) override;
  void send(const float* buf, size_t count, int peer) override;
  void recv(float* buf, size_t count, int peer) override;
  void barrier() override;
  // ncclCommAbort: this rank's pending and later collectives stop; a peer
  // waiting on it is ended by the launcher (local_launcher.h).
  void Abort() override;

  // Sum in place over ranks.
  void all_reduce_async(float* buf, size_t count, cudaStream_t stream);
  // In place: buf has size() * count; this rank's sum lands at buf + rank() * count.
  void reduce_scatter_async(float* buf, size_t count, cudaStream_t stream);
  // In place: this rank's part is at buf + rank() * count; all parts land everywhere.
  void all_gather_async(__nv_bfloat16* buf, size_t count, cudaStream_t stream);

 private:
  void* comm_ = nullptr;  // ncclComm_t
  cudaStream_t stream_ = nullptr;
  int rank_, size_;
};

}  // namespace parallax::gpu
