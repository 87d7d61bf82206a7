// Runs training steps of the CPU backend: pp x dp thread-ranks on loopback
// communicators (a dp group per stage, a pp group per dp rank), each executing
// its stage's program from the schedule generator (gradient accumulation over
// micro-batches, pipeline sends/receives, AR or RS/AG by ZeRO stage, AdamW). Prints one line per
// step, "step N | loss X | ms | tokens/s | MFU | peak MB", with MFU in core's
// CountFlops model-FLOP convention against the measured CPU GEMM rate
// (cpu_peak.h), and returns the measured curve and rank 0's final parameters.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/model.h"
#include "runtime/data.h"
#include "runtime/optimizer.h"
#include "simulator/schedule.h"

namespace parallax {

// Largest fp32 model-state footprint (params + grads + m + v, all ranks) Train accepts.
inline constexpr double kMaxCpuStateBytes = 4e9;

struct TrainConfig {
  ModelSpec model;
  int dp = 1;
  int pp = 1, vpp = 1;      // pipeline stages, model chunks per stage
  ProgramSchedule schedule = ProgramSchedule::k1F1B;  // used when pp > 1
  std::vector<int> layers_per_stage;  // pp x vpp virtual stages; empty: even split
  int zero = 0;             // 0 or 1
  int micro_batch = 1;      // sequences per micro-batch
  int micro_batches = 1;    // per rank per step
  int seq = 0;              // 0: model.max_seq
  int steps = 1;
  int buckets = 1;          // gradient buckets per chunk (DP ops per step)
  uint64_t seed = 1234;     // parameter init (data has its own seed)
  OptimizerConfig optimizer;
  double peak_flops_per_s = 0;  // 0: CpuPeakFlops(dp)
  std::ostream* log = nullptr;  // step lines go here when set
};

struct StepStats {
  int64_t step = 0;
  double loss = 0, grad_norm = 0, time_s = 0, tokens_per_s = 0, mfu = 0;
  // Max over ranks of the accounted bytes: params + grads + Adam m, v (shard
  // with ZeRO-1) + the activations held at once. Every pipeline stage holds
  // the whole parameter buffer on the CPU (see executor.h).
  int64_t peak_bytes = 0;
};

struct TrainResult {
  std::vector<StepStats> steps;
  std::vector<float> params;   // rank 0's, after the last step (num_params long)
  std::vector<int64_t> rank_peak_bytes;  // per rank (stage x dp + dp rank), over all steps
  double peak_flops_per_s = 0;
  int64_t tokens_per_step = 0;
};

// Throws SpecError on configurations the CPU backend cannot run.
TrainResult Train(const TrainConfig& config, const TokenData& data);

// num_layers split over `parts` virtual stages, the first ones one larger
// when it does not divide. Throws SpecError if a part would be empty.
std::vector<int> EvenLayerSplit(int num_layers, int parts);

// "step 3 | loss 4.1234 | 12.3 ms | 10452 tokens/s | MFU 21.0% | peak 3.2 MB"
std::string FormatStepLine(const StepStats& s);

}  // namespace parallax
