// Data parallelism over NCCL for GptModel, one process per GPU.
// Plain DP: each layer's gradient bucket is all-reduced on a communication
// stream as soon as that layer's backward is done (an event on the compute
// stream orders it), so the reduction overlaps the backward of earlier layers;
// finish_gradients() makes the compute stream wait for the last bucket; every
// rank then runs the full AdamW. ZeRO-1: each gradient bucket is
// reduce-scattered after backward (rank r keeps part r of every bucket), each rank clips with the global norm (its shard's sum of
// squares all-reduced) and runs AdamW on its 1/world shard of master, m and v,
// and after_optimizer() all-gathers the bf16 weights bucket by bucket. Gradients are summed:
// the caller scales the loss by 1 / world. One micro-batch per step (the
// buckets are reduced on every backward).
#pragma once
#include <cuda_runtime.h>

#include "runtime/gpu/gpt_model.h"
#include "runtime/gpu/nccl_communicator.h"

namespace parallax::gpu {

class DataParallel {
 public:
  // model must be built with OptimizerShard{rank, world} when zero1.
  DataParallel(GptModel& model, NcclCommunicator& comm, bool zero1);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  void finish_gradients();  // after forward_backward, before optimizer_step
  void after_optimizer();   // after optimizer_step

 private:
  GptModel& model_;
  NcclCommunicator& comm_;
  bool zero1_;
  cudaStream_t comm_stream_ = nullptr;
  cudaEvent_t ready_ = nullptr, reduced_ = nullptr;
};

}  // namespace parallax::gpu
