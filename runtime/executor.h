// Executes one rank's program (simulator/program.h) on the CPU model: the
// runtime never re-derives a schedule, it walks the instruction list the
// schedule generator produced, dispatching each OpKind through a table:
//   F(mb)  forward + loss of micro-batch mb (activations kept until B(mb))
//   B(mb)  backward of mb, adding grads scaled by 1 / (micro_batches x dp)
//   AR/RS  gradient all-reduce / reduce-scatter of a bucket (ZeRO 0 / 1)
//   OPT    clipped AdamW of the owned parameters;  AG  parameter all-gather
// Pipeline p2p (pp > 1), split backwards (BI/BW) and ZeRO-3 gathers are not
// run by the CPU backend yet: executing them throws SpecError. A backward split
// into parts for overlapped reduction runs whole at part 0.
// One Executor per rank, used by that rank's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "runtime/communicator.h"
#include "runtime/data.h"
#include "runtime/model_forward_backward.h"
#include "runtime/model_weights.h"
#include "runtime/optimizer.h"
#include "simulator/program.h"

namespace parallax {

struct ExecutorConfig {
  int micro_batch = 1;     // sequences per micro-batch
  int micro_batches = 1;   // per rank per step (gradient accumulation)
  int seq = 0;
  uint64_t seed = 1234;    // parameter init
};

struct StepOutcome {
  double loss = 0;       // mean over the global batch (same on every rank)
  double grad_norm = 0;  // before clipping
};

class Executor {
 public:
  // `layout` and `data` must outlive the executor. Parameters are initialised
  // from config.seed (identical on every rank).
  Executor(const ModelLayout& layout, const TokenData& data, const Program& program, const ExecutorConfig& config,
           const ParamSharding& sharding, const OptimizerConfig& optimizer);

  StepOutcome RunStep(Communicator& comm, int64_t step);

  const std::vector<float>& params() const { return params_; }
  // Parameters + gradients + optimizer states + the largest activation set seen.
  int64_t peak_bytes() const;

 private:
  using Handler = void (Executor::*)(Communicator&, const Instruction&);
  static const std::map<OpKind, Handler>& Dispatch();
  void Forward(Communicator&, const Instruction&);
  void Backward(Communicator&, const Instruction&);
  void Reduce(Communicator&, const Instruction&);
  void OptimizerStep(Communicator&, const Instruction&);
  void AllGather(Communicator&, const Instruction&);
  void Unsupported(Communicator&, const Instruction&);

  const ModelLayout& layout_;
  const TokenData& data_;
  Program program_;
  ExecutorConfig config_;
  ParamSharding sharding_;
  Optimizer optimizer_;
  std::vector<float> params_, grads_;
  std::map<int, Activations> in_flight_;  // micro-batch -> saved activations
  int64_t step_ = 0;
  double loss_sum_ = 0, grad_norm_ = 0;
  int64_t peak_activation_bytes_ = 0;
};

// The program of a no-pipeline plan (schedule "none", pp = 1) with the DP ops
// of `zero` over `dp` ranks and `buckets` gradient buckets.
Program NoPipelineProgram(int micro_batches, int dp, int zero, int buckets, int64_t param_count);

}  // namespace parallax
