// Data parallelism over NCCL for GptModel, one process per GPU, with
// gradient accumulation: gradients are reduced once per step, during the
// backward of the step's last micro-batch (begin_micro_batch(last = true)).
// Plain DP: each gradient bucket (a layer, the embeddings, the untied head, the
// norms and biases) is all-reduced on a communication stream as soon as its
// backward is done (an event on the compute stream orders it), so the
// reduction overlaps the backward of earlier layers; finish_gradients() makes
// the compute stream wait for the last bucket; every rank then runs the full
// AdamW. ZeRO-1: each gradient bucket is reduce-scattered in the same way, as
// soon as its backward is done (rank r keeps part r of every bucket), each rank clips with the global norm (its
// shard's sum of squares all-reduced) and runs AdamW on its 1/world shard of
// master, m and v, and after_optimizer() all-gathers the bf16 weights bucket
// by bucket. overlap = false (train_gpu --no-overlap, for comparison) reduces
// every bucket on the compute stream after the last backward instead.
// Gradients are summed: the caller scales the loss by 1 / (world x micro-batches).
#pragma once
#include <cuda_runtime.h>

#include "runtime/gpu/gpt_model.h"
#include "runtime/gpu/nccl_communicator.h"

namespace parallax::gpu {

class DataParallel {
 public:
  // model must be built with OptimizerShard{rank, world} when zero1.
  DataParallel(GptModel& model, NcclCommunicator& comm, bool zero1, bool overlap = true);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  // Before each forward_backward: reduce its gradients only when `last`.
  void begin_micro_batch(bool last) { reduce_now_ = last; }
  void finish_gradients();  // after the last forward_backward, before optimizer_step
  void after_optimizer();   // after optimizer_step

 private:
  GptModel& model_;
  NcclCommunicator& comm_;
  bool zero1_, overlap_;
  bool reduce_now_ = true;
  // All-reduce (plain DP) or reduce-scatter (ZeRO-1) of one bucket on `stream`.
  void reduce_bucket(size_t begin, size_t end, cudaStream_t stream);
  cudaStream_t comm_stream_ = nullptr;
  cudaEvent_t ready_ = nullptr, reduced_ = nullptr;
};

}  // namespace parallax::gpu
