// Data parallelism over NCCL (see data_parallel.h).
#include "runtime/gpu/data_parallel.h"

#include <stdexcept>

#include "kernels/check.h"

namespace parallax::gpu {

DataParallel::DataParallel(GptModel& model, NcclCommunicator& comm, bool zero1)
    : model_(model), comm_(comm), zero1_(zero1) {
  if (zero1 && model.shard_elems() * comm.size() != model.padded_elems())
    throw std::invalid_argument("ZeRO-1 needs the model built with OptimizerShard{rank, world}");
  CUDA_CHECK(cudaStreamCreateWithFlags(&comm_stream_, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventCreateWithFlags(&reduced_, cudaEventDisableTiming));
  DataParallelHooks hooks;
  if (zero1) {
    hooks.reduce_sumsq = [this](float* sumsq) {
      comm_.all_reduce_async(sumsq, 1, model_.stream());
    };
  } else {
    hooks.grads_ready = [this](size_t begin, size_t end) {
      if (end <= begin) return;
      CUDA_CHECK(cudaEventRecord(ready_, model_.stream()));
      CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, ready_, 0));
      comm_.all_reduce_async(model_.grads() + begin, end - begin, comm_stream_);
    };
  }
  model_.set_hooks(hooks);
}

DataParallel::~DataParallel() {
  model_.set_hooks({});
  cudaEventDestroy(reduced_);
  cudaEventDestroy(ready_);
  cudaStreamDestroy(comm_stream_);
}

void DataParallel::finish_gradients() {
  if (zero1_) {
    for (const GradBucket& b : model_.layout().buckets)
      comm_.reduce_scatter_async(model_.grads() + b.begin, (b.end - b.begin) / comm_.size(),
                                 model_.stream());
    return;
  }
  CUDA_CHECK(cudaEventRecord(reduced_, comm_stream_));
  CUDA_CHECK(cudaStreamWaitEvent(model_.stream(), reduced_, 0));
}

void DataParallel::after_optimizer() {
  if (!zero1_) return;
  for (const GradBucket& b : model_.layout().buckets)
    comm_.all_gather_async(model_.weights() + b.begin, (b.end - b.begin) / comm_.size(),
                           model_.stream());
}

}  // namespace parallax::gpu
