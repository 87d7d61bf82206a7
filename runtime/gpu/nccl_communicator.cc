// NCCL communicator (see nccl_communicator.h).
#include "runtime/gpu/nccl_communicator.h"

#include <nccl.h>

#include <chrono>
#include <exception>
#include <cstdio>
#include <fstream>
#include <thread>

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

ncclUniqueId ExchangeId(int rank, const std::string& path, double timeout_s) {
  ncclUniqueId id;
  if (rank == 0) {
    NCCL_CHECK(ncclGetUniqueId(&id));
    const std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f.write(id.internal, sizeof id.internal);
      if (!f) throw std::runtime_error("cannot write NCCL id to " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error("cannot rename " + tmp + " to " + path);
    return id;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(timeout_s * 1e3));
  while (true) {
    std::ifstream f(path, std::ios::binary);
    if (f && f.read(id.internal, sizeof id.internal)) return id;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("rank " + std::to_string(rank) + ": no NCCL id at " + path +
                               " after " + std::to_string(timeout_s) + " s (rank 0 failed?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

NcclCommunicator::NcclCommunicator(int rank, int size, const std::string& id_path,
                                   double timeout_s)
    : rank_(rank), size_(size) {
  const ncclUniqueId id = ExchangeId(rank, id_path, timeout_s);
  ncclComm_t comm;
  NCCL_CHECK(ncclCommInitRank(&comm, size, id, rank));
  comm_ = comm;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

NcclCommunicator::~NcclCommunicator() {
  // Unwinding from an error: a peer may be waiting in a collective, and
  // ncclCommDestroy would wait with it; abort returns at once.
  if (comm_) std::uncaught_exceptions() > 0 ? ncclCommAbort(C(comm_)) : ncclCommDestroy(C(comm_));
  if (stream_) cudaStreamDestroy(stream_);
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
  NCCL_CHECK(ncclAllReduce(buf, buf, count, ncclFloat32, ncclSum, C(comm_), stream));
}

void NcclCommunicator::reduce_scatter_async(float* buf, size_t count, cudaStream_t stream) {
  NCCL_CHECK(ncclReduceScatter(buf, buf + rank_ * count, count, ncclFloat32, ncclSum, C(comm_),
                               stream));
}

void NcclCommunicator::all_gather_async(__nv_bfloat16* buf, size_t count, cudaStream_t stream) {
  NCCL_CHECK(ncclAllGather(buf + rank_ * count, buf, count, ncclBfloat16, C(comm_), stream));
}

}  // namespace parallax::gpu
