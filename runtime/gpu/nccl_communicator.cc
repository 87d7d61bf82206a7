// NCCL communicator (see nccl_communicator.h).
#include "runtime/gpu/nccl_communicator.h"

#include <nccl.h>

#include <exception>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/check.h"

#define NCCL_CHECK(call)                                                                    \
  do {                                                                                      \
    ncclResult_t r_ = (call);                                                               \
    if (r_ != ncclSuccess)                                                                  \
      ::parallax::gpu::detail::fail(#call, ncclGetErrorString(r_), __FILE__, __LINE__);     \
  } while (0)

namespace parallax::gpu {
namespace {

ncclComm_t C(void* p) { return static_cast<ncclComm_t>(p); }

}  // namespace

NcclCommunicator::NcclCommunicator(int rank, int size, const BootstrapSpec& bootstrap,
                                   double timeout_s)
    : rank_(rank), size_(size) {
  ncclUniqueId id;
  const std::string bytes = ShareFromRank0(bootstrap, rank, size, [] {
    ncclUniqueId made;
    NCCL_CHECK(ncclGetUniqueId(&made));
    return std::string(made.internal, sizeof made.internal);
  }, timeout_s);
  if (bytes.size() != sizeof id.internal)
    throw std::runtime_error("rank " + std::to_string(rank) + ": got " + std::to_string(bytes.size()) +
                             " bytes of NCCL id from " + bootstrap.Describe() + ", expected " +
                             std::to_string(sizeof id.internal));
  std::memcpy(id.internal, bytes.data(), sizeof id.internal);
  ncclComm_t comm;
  NCCL_CHECK(ncclCommInitRank(&comm, size, id, rank));
  comm_ = comm;
  FinishBootstrap(bootstrap, rank);  // every rank has joined: the id file may go
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

NcclCommunicator::~NcclCommunicator() {
  // Unwinding from an error: a peer may be waiting in a collective, and
  // ncclCommDestroy would wait with it; abort returns at once.
  if (comm_) std::uncaught_exceptions() > 0 ? ncclCommAbort(C(comm_)) : ncclCommDestroy(C(comm_));
  if (stream_) cudaStreamDestroy(stream_);
  for (cudaEvent_t e : events_) cudaEventDestroy(e);
}

void NcclCommunicator::set_trace(cudaEvent_t origin, std::vector<Span>* spans) {
  origin_ = origin;
  spans_ = spans;
}

void NcclCommunicator::trace_begin(cudaStream_t stream) {
  if (!spans_) return;
  while (events_.size() < used_ + 2) {
    events_.emplace_back();
    CUDA_CHECK(cudaEventCreate(&events_.back()));
  }
  CUDA_CHECK(cudaEventRecord(events_[used_], stream));
}

void NcclCommunicator::trace_end(const char* op, size_t bytes, cudaStream_t stream) {
  if (!spans_) return;
  CUDA_CHECK(cudaEventRecord(events_[used_ + 1], stream));
  char name[64];
  std::snprintf(name, sizeof name, "%s %.3g MB", op, bytes / 1e6);
  names_.resize(used_ / 2 + 1);
  names_[used_ / 2] = name;
  used_ += 2;
}

void NcclCommunicator::collect_trace() {
  if (!spans_) return;
  for (size_t i = 0; i < used_; i += 2) {
    float start_ms = 0, end_ms = 0;
    CUDA_CHECK(cudaEventSynchronize(events_[i + 1]));
    CUDA_CHECK(cudaEventElapsedTime(&start_ms, origin_, events_[i]));
    CUDA_CHECK(cudaEventElapsedTime(&end_ms, origin_, events_[i + 1]));
    spans_->push_back(Span{names_[i / 2], "collective", kDataParallelTid, start_ms * 1e3, (end_ms - start_ms) * 1e3});
  }
  used_ = 0;
}

void NcclCommunicator::Abort() {
  if (comm_) ncclCommAbort(C(comm_));
  comm_ = nullptr;
}

void NcclCommunicator::all_reduce(float* buf, size_t count) {
  all_reduce_async(buf, count, stream_);
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void NcclCommunicator::reduce_scatter(const float* in, float* out, size_t count) {
  NCCL_CHECK(ncclReduceScatter(in, out, count, ncclFloat32, ncclSum, C(comm_), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void NcclCommunicator::all_gather(const float* in, float* out, size_t count) {
  NCCL_CHECK(ncclAllGather(in, out, count, ncclFloat32, C(comm_), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void NcclCommunicator::all_gather_host(const float* in, float* out, size_t count) {
  float* staged = nullptr;  // [count of this rank | size_ * count gathered]
  CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&staged), sizeof(float) * count * (size_ + 1), stream_));
  CUDA_CHECK(cudaMemcpyAsync(staged, in, sizeof(float) * count, cudaMemcpyHostToDevice, stream_));
  NCCL_CHECK(ncclAllGather(staged, staged + count, count, ncclFloat32, C(comm_), stream_));
  CUDA_CHECK(cudaMemcpyAsync(out, staged + count, sizeof(float) * count * size_, cudaMemcpyDeviceToHost, stream_));
  CUDA_CHECK(cudaFreeAsync(staged, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void NcclCommunicator::send(const float* buf, size_t count, int peer) {
  NCCL_CHECK(ncclSend(buf, count, ncclFloat32, peer, C(comm_), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void NcclCommunicator::recv(float* buf, size_t count, int peer) {
  NCCL_CHECK(ncclRecv(buf, count, ncclFloat32, peer, C(comm_), stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void NcclCommunicator::barrier() {
  float* one = nullptr;
  CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&one), sizeof(float), stream_));
  all_reduce_async(one, 1, stream_);
  CUDA_CHECK(cudaFreeAsync(one, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void NcclCommunicator::all_reduce_async(float* buf, size_t count, cudaStream_t stream) {
  trace_begin(stream);
  NCCL_CHECK(ncclAllReduce(buf, buf, count, ncclFloat32, ncclSum, C(comm_), stream));
  trace_end("all-reduce", count * sizeof(float), stream);
}

void NcclCommunicator::reduce_scatter_async(float* buf, size_t count, cudaStream_t stream) {
  trace_begin(stream);
  NCCL_CHECK(ncclReduceScatter(buf, buf + rank_ * count, count, ncclFloat32, ncclSum, C(comm_),
                               stream));
  trace_end("reduce-scatter", count * size_ * sizeof(float), stream);
}

void NcclCommunicator::all_gather_async(__nv_bfloat16* buf, size_t count, cudaStream_t stream) {
  trace_begin(stream);
  NCCL_CHECK(ncclAllGather(buf + rank_ * count, buf, count, ncclBfloat16, C(comm_), stream));
  trace_end("all-gather", count * size_ * sizeof(__nv_bfloat16), stream);
}

}  // namespace parallax::gpu
