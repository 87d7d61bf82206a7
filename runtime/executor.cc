// Instruction dispatch of the CPU executor (see executor.h).
#include "runtime/executor.h"

#include <algorithm>
#include <string>

#include "core/errors.h"

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
  if (config.layers_per_virtual_stage.empty()) {
    if (config.pp != 1 || config.vpp != 1) throw std::invalid_argument("Executor: pp > 1 needs layers_per_virtual_stage");
    parts_.push_back(WholeModel(layout.spec));
  } else {
    for (int c = 0; c < config.vpp; ++c)
      parts_.push_back(PartOfVirtualStage(layout.spec, config.layers_per_virtual_stage,
                                          VirtualStage(c, config.stage, config.pp)));
  }
  if (sharding.buckets % config.vpp) throw std::invalid_argument("Executor: buckets must be a multiple of vpp");
}

const std::map<OpKind, Executor::Handler>& Executor::Dispatch() {
  static const std::map<OpKind, Handler> table = {
      {OpKind::kForward, &Executor::Forward},
      {OpKind::kBackward, &Executor::Backward},
      {OpKind::kBackwardInput, &Executor::Backward},
      {OpKind::kBackwardWeight, &Executor::NoOp},
      {OpKind::kSendActivation, &Executor::SendActivation},
      {OpKind::kRecvActivation, &Executor::RecvActivation},
      {OpKind::kSendGradient, &Executor::SendGradient},
      {OpKind::kRecvGradient, &Executor::RecvGradient},
      {OpKind::kDpReduceScatter, &Executor::Reduce},
      {OpKind::kDpAllReduce, &Executor::Reduce},
      {OpKind::kParamAllGather, &Executor::AllGather},
      {OpKind::kOptimizerStep, &Executor::OptimizerStep},
  };
  return table;
}

StepOutcome Executor::RunStep(Communicator& comm, int64_t step, Communicator* pp) {
  if (config_.pp > 1 && (!pp || pp->size() != config_.pp || pp->rank() != config_.stage))
    throw std::invalid_argument("Executor: pp > 1 needs a pipeline communicator of pp ranks, rank = stage");
  pp_ = pp;
  step_ = step;
  loss_sum_ = 0;
  grad_norm_ = 0;
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  for (const Instruction& in : program_.instructions) (this->*Dispatch().at(in.op))(comm, in);
  if (!in_flight_.empty()) throw std::logic_error("Executor: program ended with a forward never run backward");
  if (!received_act_.empty() || !received_grad_.empty() || !grad_to_send_.empty())
    throw std::logic_error("Executor: program ended with p2p messages not consumed");
  float loss = static_cast<float>(loss_sum_ / config_.micro_batches);  // nonzero on the last stage only
  if (config_.pp > 1) pp_->all_reduce(&loss, 1);
  if (comm.size() > 1) comm.all_reduce(&loss, 1);
  return {loss / comm.size(), grad_norm_};
}

void Executor::Forward(Communicator& comm, const Instruction& in) {
  const ModelPart& part = parts_.at(in.chunk);
  const Key key{in.chunk, in.micro_batch};
  const TokenBatch b = GetBatch(data_, step_, FirstSequence(comm.rank(), config_.micro_batches, in.micro_batch,
                                                            config_.micro_batch),
                                config_.micro_batch, config_.seq);
  const float* x_in = nullptr;
  if (!part.has_embedding) {
    auto it = received_act_.find(key);
    if (it == received_act_.end()) throw std::logic_error("Executor: " + ToString(in) + " before its RECV_F");
    x_in = it->second.data();
  }
  Activations& a = in_flight_[key];
  loss_sum_ += PartForward(layout_, part, params_.data(), b.tokens.data(), b.targets.data(), b.rows, b.seq, x_in, &a);
  received_act_.erase(key);
  int64_t held = 0;
  for (const auto& [k, acts] : in_flight_) held += acts.bytes();
  peak_activation_bytes_ = std::max(peak_activation_bytes_, held);
}

void Executor::Backward(Communicator& comm, const Instruction& in) {
  if (in.part > 0) return;  // the whole backward ran at part 0
  const Key key{in.chunk, in.micro_batch};
  const ModelPart& part = parts_.at(in.chunk);
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) throw std::logic_error("Executor: " + ToString(in) + " before its F");
  const float* dx_out = nullptr;
  if (!part.has_head) {
    auto g = received_grad_.find(key);
    if (g == received_grad_.end()) throw std::logic_error("Executor: " + ToString(in) + " before its RECV_B");
    dx_out = g->second.data();
  }
  float* dx_in = nullptr;
  if (!part.has_embedding) {
    grad_to_send_[key].resize(HiddenCount());
    dx_in = grad_to_send_[key].data();
  }
  const float scale = 1.0f / static_cast<float>(config_.micro_batches * comm.size());
  PartBackward(layout_, part, params_.data(), &it->second, scale, dx_out, dx_in, grads_.data());
  in_flight_.erase(it);
  received_grad_.erase(key);
}

size_t Executor::HiddenCount() const {
  return static_cast<size_t>(config_.micro_batch) * config_.seq * layout_.spec.hidden;
}

Communicator& Executor::Pipeline(const Instruction& in) {
  if (!pp_) throw std::logic_error("Executor: " + ToString(in) + " without a pipeline communicator");
  return *pp_;
}

void Executor::SendActivation(Communicator&, const Instruction& in) {
  auto it = in_flight_.find({in.chunk, in.micro_batch});
  if (it == in_flight_.end()) throw std::logic_error("Executor: " + ToString(in) + " before its F");
  Pipeline(in).send(it->second.x_out.data(), HiddenCount(), in.peer);
}

void Executor::RecvActivation(Communicator&, const Instruction& in) {
  std::vector<float>& buf = received_act_[{in.chunk, in.micro_batch}];
  buf.resize(HiddenCount());
  Pipeline(in).recv(buf.data(), buf.size(), in.peer);
}

void Executor::SendGradient(Communicator&, const Instruction& in) {
  auto it = grad_to_send_.find({in.chunk, in.micro_batch});
  if (it == grad_to_send_.end()) throw std::logic_error("Executor: " + ToString(in) + " before its B");
  Pipeline(in).send(it->second.data(), it->second.size(), in.peer);
  grad_to_send_.erase(it);
}

void Executor::RecvGradient(Communicator&, const Instruction& in) {
  std::vector<float>& buf = received_grad_[{in.chunk, in.micro_batch}];
  buf.resize(HiddenCount());
  Pipeline(in).recv(buf.data(), buf.size(), in.peer);
}

int Executor::Bucket(const Instruction& in) const {
  return in.chunk * (sharding_.buckets / config_.vpp) + in.bucket;
}

void Executor::Reduce(Communicator& comm, const Instruction& in) {
  const bool rs = in.op == OpKind::kDpReduceScatter;
  if (rs != (sharding_.zero == 1))
    throw std::logic_error(std::string("Executor: ") + OpName(in.op) + " in a program for zero " +
                           std::to_string(sharding_.zero));
  optimizer_.ReduceGrads(comm, grads_.data(), Bucket(in));
}

void Executor::OptimizerStep(Communicator& comm, const Instruction& in) {
  if (config_.pp > 1)  // stages hold disjoint gradients (but tied embeddings): sum them
    for (const Range& r : sharding_.owned()) Pipeline(in).all_reduce(grads_.data() + r.begin, r.size());
  grad_norm_ = optimizer_.Step(comm, params_.data(), grads_.data());
}

void Executor::AllGather(Communicator& comm, const Instruction& in) {
  if (in.bucket < 0) Unsupported(comm, in);  // ZeRO-3 gathers before use
  optimizer_.GatherParams(comm, params_.data(), Bucket(in));
}

void Executor::Unsupported(Communicator&, const Instruction& in) {
  throw SpecError(std::string("--backend cpu: instruction \"") + ToString(in) +
                  "\" is not run by the cpu backend yet (it runs zero 0 or 1)");
}

int64_t Executor::peak_bytes() const {
  return 4 * static_cast<int64_t>(params_.size() + grads_.size()) + optimizer_.state_bytes() + peak_activation_bytes_;
}

std::vector<Program> CpuPrograms(ProgramSchedule schedule, int pp, int vpp, int micro_batches, int dp, int zero,
                                 int buckets, int64_t param_count, int64_t hidden_count) {
  ScheduleSpec spec = PipelineSpec(pp == 1 ? ProgramSchedule::kNone : schedule, pp, micro_batches, vpp);
  spec.dp = dp;
  spec.zero_stage = zero;
  spec.grad_buckets_per_chunk = buckets;
  spec.p2p_bytes = 4 * hidden_count;
  spec.grad_bytes_per_chunk = 4 * param_count / vpp;
  spec.param_bytes_per_chunk = 4 * param_count / vpp;
  return GeneratePrograms(spec);
}

}  // namespace parallax
