// Executes one rank's program (simulator/program.h) on the CPU model: the
// runtime never re-derives a schedule, it walks the instruction list the
// schedule generator produced, dispatching each OpKind through a table:
//   F(c, mb)  forward of chunk c's layers (+ loss on the last virtual stage)
//   B(c, mb)  backward, adding grads scaled by 1 / (micro_batches x dp)
//   SEND_F / RECV_F / SEND_B / RECV_B  hidden states and their gradients
//             between virtual stages over the pipeline communicator
//   AR/RS     gradient all-reduce / reduce-scatter of a bucket (ZeRO 0 / 1)
//   OPT       clipped AdamW of the owned parameters;  AG  parameter all-gather
// Simplifications of the CPU backend, none of which change the numbers:
// every pipeline stage keeps the whole (toy) parameter buffer, and OPT first
// sums the stages' gradients over the pipeline communicator (each parameter's
// gradient comes from the stage that owns it; tied embeddings from the first
// and last), so all stages apply the same update; a split backward (BI) runs
// the whole backward and BW is then a no-op; a backward split into parts for
// overlapped reduction runs whole at part 0. ZeRO-3 gathers throw SpecError.
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
#include "simulator/schedule.h"

namespace parallax {

struct ExecutorConfig {
  int micro_batch = 1;     // sequences per micro-batch
  int micro_batches = 1;   // per rank per step (gradient accumulation)
  int seq = 0;
  uint64_t seed = 1234;    // parameter init
  int pp = 1, vpp = 1, stage = 0;
  // Layers of each virtual stage (pp x vpp entries, virtual stage c·pp + s is
  // chunk c of stage s); empty: the whole model (pp = vpp = 1).
  std::vector<int> layers_per_virtual_stage;
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

  // dp: this stage's data-parallel group; pp: this dp rank's pipeline group
  // (rank = stage), needed when pp > 1.
  StepOutcome RunStep(Communicator& dp, int64_t step, Communicator* pp = nullptr);

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
  void NoOp(Communicator&, const Instruction&) {}
  void SendActivation(Communicator&, const Instruction&);
  void RecvActivation(Communicator&, const Instruction&);
  void SendGradient(Communicator&, const Instruction&);
  void RecvGradient(Communicator&, const Instruction&);
  Communicator& Pipeline(const Instruction& in);
  int Bucket(const Instruction& in) const;
  size_t HiddenCount() const;
  using Key = std::pair<int, int>;  // (chunk, micro_batch)

  const ModelLayout& layout_;
  const TokenData& data_;
  Program program_;
  ExecutorConfig config_;
  ParamSharding sharding_;
  Optimizer optimizer_;
  std::vector<float> params_, grads_;
  std::vector<ModelPart> parts_;          // per chunk
  Communicator* pp_ = nullptr;            // during RunStep
  std::map<Key, Activations> in_flight_;  // forward done, backward pending
  std::map<Key, std::vector<float>> received_act_, received_grad_, grad_to_send_;
  int64_t step_ = 0;
  double loss_sum_ = 0, grad_norm_ = 0;
  int64_t peak_activation_bytes_ = 0;
};

// Programs of every stage for a schedule (kNone when pp = 1) with the DP ops
// of `zero` over `dp` ranks and `buckets` gradient buckets per chunk.
std::vector<Program> CpuPrograms(ProgramSchedule schedule, int pp, int vpp, int micro_batches, int dp, int zero,
                                 int buckets, int64_t param_count, int64_t hidden_count);

}  // namespace parallax
