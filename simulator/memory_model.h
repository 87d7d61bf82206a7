// Per-GPU memory of a configuration, one row per distinct pipeline stage:
// weights, gradients and optimizer states (by precision recipe and ZeRO
// stage), activations as the schedule keeps them, transient peaks (logits and
// cross-entropy, recompute working set, ZeRO-3 gathers, framework buffers) and
// fixed overheads (CUDA context, NCCL, allocator slack). Every term is named
// in the report so a user can see why a plan does or does not fit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace parallax {

struct MemoryTerm {
  // weights | gradients | optimizer | activations | transient (alive around
  // the peak) | persistent (framework buffers) | overhead (context, NCCL, allocator)
  std::string category;
  std::string name;
  int64_t bytes = 0;
};

struct StageMemory {
  int stage = 0;
  int layers = 0;
  double inflight_micro_batches = 0;
  int64_t weights_bytes = 0;
  int64_t gradients_bytes = 0;
  int64_t optimizer_bytes = 0;
  int64_t activations_bytes = 0;  // saved activations at the peak
  int64_t other_bytes = 0;        // transients at the peak + fixed overheads
  int64_t peak_bytes = 0;
  // Peak of what the framework's allocator hands out (torch.cuda.max_memory_allocated):
  // peak_bytes less the CUDA context, NCCL buffers and fragmentation.
  int64_t allocated_peak_bytes = 0;
  std::string peak_phase;         // "backward start" or "optimizer step"
  std::vector<MemoryTerm> terms;  // what makes up the peak, named
};

struct MemoryReport {
  std::vector<StageMemory> ranks;  // one per pipeline stage
  int64_t peak_bytes = 0;          // max over stages
  int64_t capacity_bytes = 0;      // GPU memory of the cluster
  int64_t params_per_gpu_max = 0;  // parameters held by the most loaded GPU
};

MemoryReport EstimateMemory(const Job& job);

// EstimateMemory(job).peak_bytes, exactly, without building the report (no
// named terms, no strings): the planner calls it for every configuration.
int64_t EstimatePeakBytes(const Job& job);

// Bytes of weights + gradients + optimizer states for `params` parameters
// data-parallel over `dp` ranks — the ZeRO paper's model-state formula.
struct ModelStateBytes {
  double weights = 0, gradients = 0, optimizer = 0;
  double total() const { return weights + gradients + optimizer; }
};
ModelStateBytes ModelStates(double params, Precision precision, int zero, int dp);

// Parameters one GPU of `stage` holds: dense ones (sharded by tp) and expert
// ones (sharded by tp x ep), which shard their optimizer state differently.
struct StageParams {
  double dense = 0;
  double expert = 0;
  double largest_layer = 0;  // for ZeRO-3 gathers
  double embedding = 0;      // word (+ position) embeddings: stage 0, needed before its first layer
};
StageParams ParamsOnStage(const Job& job, int stage);
StageParams ParamsOnStage(const Job& job, const std::vector<int>& stage_layers, int stage);  // map resolved

// Megatron pads the vocabulary to a multiple of 128 x tp.
int64_t PaddedVocab(const Job& job);

}  // namespace parallax
