// Instruction dispatch of the CPU executor (see executor.h).
#include "runtime/executor.h"

#include <algorithm>
#include <string>

#include "core/errors.h"
#include "simulator/schedule.h"

namespace parallax {

Executor::Executor(const ModelLayout& layout, const TokenData& data, const Program& program,
                   const ExecutorConfig& config, const ParamSharding& sharding, const OptimizerConfig& optimizer)
    : layout_(layout),
      data_(data),
      program_(program),
      config_(config),
      sharding_(sharding),
      optimizer_(layout, optimizer, sharding),
      params_(layout.padded_size),
      grads_(layout.padded_size) {
  InitParams(layout, config.seed, params_.data());
}

const std::map<OpKind, Executor::Handler>& Executor::Dispatch() {
  static const std::map<OpKind, Handler> table = {
      {OpKind::kForward, &Executor::Forward},
      {OpKind::kBackward, &Executor::Backward},
      {OpKind::kBackwardInput, &Executor::Unsupported},
      {OpKind::kBackwardWeight, &Executor::Unsupported},
      {OpKind::kSendActivation, &Executor::Unsupported},
      {OpKind::kRecvActivation, &Executor::Unsupported},
      {OpKind::kSendGradient, &Executor::Unsupported},
      {OpKind::kRecvGradient, &Executor::Unsupported},
      {OpKind::kDpReduceScatter, &Executor::Reduce},
      {OpKind::kDpAllReduce, &Executor::Reduce},
      {OpKind::kParamAllGather, &Executor::AllGather},
      {OpKind::kOptimizerStep, &Executor::OptimizerStep},
  };
  return table;
}

StepOutcome Executor::RunStep(Communicator& comm, int64_t step) {
  step_ = step;
  loss_sum_ = 0;
  grad_norm_ = 0;
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  for (const Instruction& in : program_.instructions) (this->*Dispatch().at(in.op))(comm, in);
  if (!in_flight_.empty()) throw std::logic_error("Executor: program ended with a forward never run backward");
  float loss = static_cast<float>(loss_sum_ / config_.micro_batches);
  if (comm.size() > 1) comm.all_reduce(&loss, 1);
  return {loss / comm.size(), grad_norm_};
}

void Executor::Forward(Communicator& comm, const Instruction& in) {
  if (in.chunk != 0) Unsupported(comm, in);
  const TokenBatch b = GetBatch(data_, step_, FirstSequence(comm.rank(), config_.micro_batches, in.micro_batch,
                                                            config_.micro_batch),
                                config_.micro_batch, config_.seq);
  Activations& a = in_flight_[in.micro_batch];
  loss_sum_ += ModelForward(layout_, params_.data(), b.tokens.data(), b.targets.data(), b.rows, b.seq, &a);
  int64_t held = 0;
  for (const auto& [mb, acts] : in_flight_) held += acts.bytes();
  peak_activation_bytes_ = std::max(peak_activation_bytes_, held);
}

void Executor::Backward(Communicator& comm, const Instruction& in) {
  if (in.part > 0) return;  // the whole backward ran at part 0
  auto it = in_flight_.find(in.micro_batch);
  if (it == in_flight_.end())
    throw std::logic_error("Executor: B mb" + std::to_string(in.micro_batch) + " before its F");
  const float scale = 1.0f / static_cast<float>(config_.micro_batches * comm.size());
  ModelBackward(layout_, params_.data(), &it->second, scale, grads_.data());
  in_flight_.erase(it);
}

void Executor::Reduce(Communicator& comm, const Instruction& in) {
  const bool rs = in.op == OpKind::kDpReduceScatter;
  if (rs != (sharding_.zero == 1))
    throw std::logic_error(std::string("Executor: ") + OpName(in.op) + " in a program for zero " +
                           std::to_string(sharding_.zero));
  optimizer_.ReduceGrads(comm, grads_.data(), in.bucket);
}

void Executor::OptimizerStep(Communicator& comm, const Instruction&) {
  grad_norm_ = optimizer_.Step(comm, params_.data(), grads_.data());
}

void Executor::AllGather(Communicator& comm, const Instruction& in) {
  if (in.bucket < 0) Unsupported(comm, in);  // ZeRO-3 gathers before use
  optimizer_.GatherParams(comm, params_.data(), in.bucket);
}

void Executor::Unsupported(Communicator&, const Instruction& in) {
  throw SpecError(std::string("--backend cpu: instruction \"") + ToString(in) +
                  "\" is not run by the cpu backend yet (it runs pp = 1, vpp = 1, zero 0 or 1)");
}

int64_t Executor::peak_bytes() const {
  return 4 * static_cast<int64_t>(params_.size() + grads_.size()) + optimizer_.state_bytes() + peak_activation_bytes_;
}

Program NoPipelineProgram(int micro_batches, int dp, int zero, int buckets, int64_t param_count) {
  ScheduleSpec spec = PipelineSpec(ProgramSchedule::kNone, 1, micro_batches);
  spec.dp = dp;
  spec.zero_stage = zero;
  spec.grad_buckets_per_chunk = buckets;
  spec.grad_bytes_per_chunk = 4 * param_count;
  spec.param_bytes_per_chunk = 4 * param_count;
  return GeneratePrograms(spec).at(0);
}

}  // namespace parallax
