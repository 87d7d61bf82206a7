// The GPU runtime's training loop, shared by the train_gpu tool and the CLI:
// a GPT or Llama-style model on a fixed random batch (the PyTorch baseline's
// protocol), one process per local GPU when dp > 1, or one rank per process
// under mpirun / srun / torchrun (rank_launch.h; NCCL DP or ZeRO-1), one status
// line per step from rank 0 (step, loss, ms, tokens/s, MFU, peak memory), and
// per rank a summary: median step after warm-up, tokens/s per GPU, MFU by core's
// CountFlops (and PaLM's 6N + 12 L h s, as the baseline prints), peak memory by
// allocator accounting and by cudaMemGetInfo, losses, optional op profile.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.h"

namespace parallax::gpu {

struct GpuTrainConfig {
  ModelSpec model;
  int micro_batch = 4;
  int micro_batches = 1;  // gradient accumulation: micro-batches per step and rank
  int seq = 0;  // 0: model.max_seq
  int steps = 20;
  int warmup = 3;  // steps left out of the median
  int dp = 1;
  bool zero1 = false;
  bool overlap = true;  // DP all-reduce / ZeRO-1 reduce-scatter per bucket during backward
  bool keep_norms = false;  // save norm outputs instead of recomputing them in backward
  uint64_t seed = 1234;  // weights and tokens
  double lr = 1e-4, clip = 1.0;
  double peak_flops_per_s = 989e12;  // H100/H200 dense bf16, for MFU
  bool profile = false;              // per-op CUDA-event breakdown after warm-up
  bool print_steps = true;           // rank 0's step lines on stdout
  int fail_rank = -1, fail_step = 0;  // tests: that rank throws at that step
  // Chrome trace of the steps after warm-up (span_trace.h), "" for none; every
  // rank's spans, written by rank 0 (under mpirun & co. too).
  std::string trace_path;
};

// Returns 0 when every rank finished; *summaries gets one JSON per rank (rank
// order; empty on failure), in every process also under mpirun / srun /
// torchrun (gathered over NCCL). A failing rank is named on stderr and stops all.
int RunGpuTraining(const GpuTrainConfig& config, std::vector<nlohmann::json>* summaries);

}  // namespace parallax::gpu
