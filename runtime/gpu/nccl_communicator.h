// NCCL backend of runtime/communicator.h, one process per GPU. Rank 0 makes
// the NCCL unique id and hands it over through `bootstrap` (bootstrap.h: a file
// renamed into place, or TCP); the other ranks wait for it up to timeout_s.
// Buffers are device pointers.
// The Communicator calls are blocking (they run on an internal stream and
// synchronize it); the *_async calls are stream-ordered on the caller's stream
// (a communication stream, for overlap with backward) and do not block.
// Lifetime: one per process; the CUDA device must be set before construction.
// Destroyed during exception unwinding it aborts the communicator (no wait).
// Tracing (span_trace.h): with set_trace, every collective is bracketed by two
// CUDA events on its stream and collect_trace() turns them into spans on the
// data-parallel thread, timed from the compute stream's origin event.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "runtime/communicator.h"
#include "runtime/gpu/bootstrap.h"
#include "runtime/gpu/span_trace.h"

namespace parallax::gpu {

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(int rank, int size, const BootstrapSpec& bootstrap, double timeout_s = 60);
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

  // all_gather with host buffers, staged through device memory (small, rare:
  // the ranks' summaries at the end of a run).
  void all_gather_host(const float* in, float* out, size_t count);

  // Sum in place over ranks.
  void all_reduce_async(float* buf, size_t count, cudaStream_t stream);
  // In place: buf has size() * count; this rank's sum lands at buf + rank() * count.
  void reduce_scatter_async(float* buf, size_t count, cudaStream_t stream);
  // In place: this rank's part is at buf + rank() * count; all parts land everywhere.
  void all_gather_async(__nv_bfloat16* buf, size_t count, cudaStream_t stream);

  // Spans from now on into *spans (nullptr: stop), timed from `origin` (an
  // event of this device recorded before the next collective).
  void set_trace(cudaEvent_t origin, std::vector<Span>* spans);
  // After the traced collectives are done: appends their spans, frees the events for reuse.
  void collect_trace();

 private:
  void trace_begin(cudaStream_t stream);
  void trace_end(const char* op, size_t bytes, cudaStream_t stream);

  void* comm_ = nullptr;  // ncclComm_t
  cudaStream_t stream_ = nullptr;
  int rank_, size_;
  cudaEvent_t origin_ = nullptr;
  std::vector<Span>* spans_ = nullptr;
  std::vector<cudaEvent_t> events_;  // pairs: before, after each traced collective
  std::vector<std::string> names_;   // one per pair
  size_t used_ = 0;                  // events in use
};

}  // namespace parallax::gpu
