// Turns a schedule's compute order into per-stage programs: p2p between virtual
// stages, data-parallel gradient reduction and parameter gathers by ZeRO stage,
// and the optimizer step. See schedule.h.
//
// Data-parallel placement follows Megatron-core's DistributedDataParallel and
// distributed optimizer: gradient sync is disabled for all but the last
// micro-batch of each chunk; with overlap_grad_reduce each bucket's reduction is
// issued as soon as its part of that last backward is done (the backward hook),
// without overlap all buckets are reduced after the pipeline schedule
// (finalize_model_grads); then the optimizer step, then (ZeRO-1/2, distributed
// optimizer) the parameter all-gather. ZeRO-3 follows DeepSpeed's/FSDP's
// parameter prefetch: each F and B of a chunk needs that chunk's full
// parameters, gathered on the DP stream one compute instruction ahead; the
// stage's first compute waits only for its first layer's share (they gather
// layer by layer), the rest of that gather running under it.
// ZeRO-2/3 keep only their 1/dp shard of the gradients, so, as DeepSpeed's
// ZeRO-2/3 and FSDP do, every micro-batch's backward reduce-scatters its
// gradients (ZeRO-0/1 accumulate full gradients and reduce once per step).
// Without overlap_grad_reduce those reductions follow the backward on the DP
// stream, so they may still run under the next micro-batch's forward (DeepSpeed
// without overlap_comm reduces inside the backward: an approximation; the
// planner's searches keep overlap on).
#include "simulator/schedule.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "simulator/schedule_order.h"

namespace parallax {
namespace {

struct KindName {
  ProgramSchedule kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {ProgramSchedule::kNone, "none"},
    {ProgramSchedule::kGPipe, "gpipe"},
    {ProgramSchedule::k1F1B, "1f1b"},
    {ProgramSchedule::kInterleaved, "interleaved"},
    {ProgramSchedule::kZbH1, "zb-h1"},
};

void Require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Bytes of bucket k when `total` bytes are split into n buckets (sums to total).
int64_t BucketBytes(int64_t total, int n, int k) {
  return total / n + (k < total % n ? 1 : 0);
}

// Appends one stage's instructions for a compute order (p2p, split backward and
// overlapped reductions).
class StageBuilder {
 public:
  StageBuilder(const ScheduleSpec& spec, int stage) : spec_(spec), stage_(stage) {}

  Program Build() {
    const std::vector<ComputeStep> order = ComputeOrder(spec_, stage_);
    const bool dp_ops = spec_.dp > 1;
    // At most a receive and a send around each step, and per chunk the split
    // backward's parts and reductions, or the reductions and gathers after the
    // schedule, for ZeRO-2/3 on every backward (pages reserved but not written
    // cost nothing).
    const size_t buckets = spec_.grad_buckets_per_chunk;
    program_.instructions.reserve(3 * order.size() + 4 * spec_.vpp * buckets + 1 +
                                  (spec_.zero_stage >= 2 ? 2 * buckets * order.size() : 0));
    // The weight-grad producers whose gradients are reduced: the last of each
    // chunk, or with sharded gradients (ZeRO-2/3) every one. Overlapping, each
    // is split into bucket parts, each part followed by its bucket's reduction.
    const bool every_micro_batch = spec_.zero_stage >= 2;
    std::vector<int> last_wgrad(spec_.vpp, -1);
    for (size_t i = 0; i < order.size(); ++i)
      if (ProducesWeightGrad(order[i].op)) last_wgrad[order[i].chunk] = static_cast<int>(i);
    for (size_t i = 0; i < order.size(); ++i) {
      const ComputeStep& step = order[i];
      const bool reduced = dp_ops && ProducesWeightGrad(step.op) &&
                           (every_micro_batch || last_wgrad[step.chunk] == static_cast<int>(i));
      Emit(step, reduced && spec_.overlap_grad_reduce);
      if (reduced && every_micro_batch && !spec_.overlap_grad_reduce)
        for (int k = 0; k < spec_.grad_buckets_per_chunk; ++k) EmitReduction(step.chunk, k);
    }
    if (dp_ops && !spec_.overlap_grad_reduce && !every_micro_batch)
      for (int c = 0; c < spec_.vpp; ++c)
        for (int k = 0; k < spec_.grad_buckets_per_chunk; ++k) EmitReduction(c, k);
    program_.instructions.push_back(OptimizerStep());
    if (dp_ops && (spec_.zero_stage == 1 || spec_.zero_stage == 2))
      for (int c = 0; c < spec_.vpp; ++c)
        for (int k = 0; k < spec_.grad_buckets_per_chunk; ++k)
          program_.instructions.push_back(
              DpOp(OpKind::kParamAllGather, c, k,
                   BucketBytes(spec_.param_bytes_per_chunk, spec_.grad_buckets_per_chunk, k)));
    if (dp_ops && spec_.zero_stage == 3) InsertZero3Gathers();
    program_.stage = stage_;
    return std::move(program_);
  }

 private:
  int LastVirtualStage() const { return spec_.pp * spec_.vpp - 1; }

  void EmitP2p(OpKind op, const ComputeStep& step) {
    const PeerChunk peer = PeerOf(op, step.chunk, stage_, spec_.pp, spec_.vpp);
    program_.instructions.push_back(P2pOp(op, step.chunk, step.micro_batch, peer.stage, spec_.p2p_bytes));
  }

  void EmitReduction(int chunk, int bucket) {
    const OpKind op = spec_.zero_stage == 0 ? OpKind::kDpAllReduce : OpKind::kDpReduceScatter;
    program_.instructions.push_back(DpOp(
        op, chunk, bucket, BucketBytes(spec_.grad_bytes_per_chunk, spec_.grad_buckets_per_chunk, bucket)));
  }

  void Emit(const ComputeStep& step, bool split) {
    const int vs = VirtualStage(step.chunk, stage_, spec_.pp);
    auto& out = program_.instructions;
    if (step.op == OpKind::kForward) {
      if (vs > 0) EmitP2p(OpKind::kRecvActivation, step);
      out.push_back(ComputeOp(step.op, step.chunk, step.micro_batch));
      if (vs < LastVirtualStage()) EmitP2p(OpKind::kSendActivation, step);
      return;
    }
    const bool input_grad = IsBackwardOp(step.op);
    if (input_grad && vs < LastVirtualStage()) EmitP2p(OpKind::kRecvGradient, step);
    if (!split) {
      out.push_back(ComputeOp(step.op, step.chunk, step.micro_batch));
    } else {
      const int n = spec_.grad_buckets_per_chunk;
      for (int k = 0; k < n; ++k) {
        Instruction part = ComputeOp(step.op, step.chunk, step.micro_batch);
        part.part = k;
        part.num_parts = n;
        out.push_back(part);
        EmitReduction(step.chunk, k);
      }
    }
    if (input_grad && vs > 0) EmitP2p(OpKind::kSendGradient, step);
  }

  // ZeRO-3: before each compute instruction, gather the parameters for the
  // next one that needs them (F, B part 0, BI), so the gather overlaps compute.
  // Nothing runs before the stage's first compute, so its gather is split as
  // FSDP / DeepSpeed gather layer by layer: it waits only for the head (its
  // first layer, the embedding on stage 0: part 0 of 2); the rest (part 1,
  // micro-batch -1: nothing waits on it) runs under that compute, ahead of the
  // next gather on the DP stream.
  void InsertZero3Gathers() {
    std::vector<int> compute;
    for (size_t i = 0; i < program_.instructions.size(); ++i)
      if (IsComputeOp(program_.instructions[i].op)) compute.push_back(static_cast<int>(i));
    auto needs_params = [](const Instruction& in) {
      return in.op == OpKind::kForward || in.op == OpKind::kBackwardInput ||
             (in.op == OpKind::kBackward && in.part <= 0);
    };
    auto gather_for = [&](const Instruction& in) {
      Instruction ag = DpOp(OpKind::kParamAllGather, in.chunk, -1, spec_.param_bytes_per_chunk);
      ag.micro_batch = in.micro_batch;
      return ag;
    };
    std::vector<Instruction> out;
    size_t next_compute = 0;
    for (size_t i = 0; i < program_.instructions.size(); ++i) {
      const Instruction& in = program_.instructions[i];
      if (next_compute < compute.size() && compute[next_compute] == static_cast<int>(i)) {
        if (next_compute == 0 && needs_params(in)) {
          const int64_t whole = spec_.param_bytes_per_chunk, first = spec_.param_bytes_first_gather;
          const int64_t head = first > 0 ? std::min(whole, first) : whole;
          Instruction ag = gather_for(in);
          ag.part = 0;
          ag.num_parts = 2;
          ag.bytes = head;
          out.push_back(ag);
          ag.part = 1;
          ag.micro_batch = -1;
          ag.bytes = whole - head;
          out.push_back(ag);
        }
        if (next_compute + 1 < compute.size()) {
          const Instruction& ahead = program_.instructions[compute[next_compute + 1]];
          if (needs_params(ahead)) out.push_back(gather_for(ahead));
        }
        ++next_compute;
      }
      out.push_back(in);
    }
    program_.instructions = std::move(out);
  }

  const ScheduleSpec& spec_;
  const int stage_;
  Program program_;
};

}  // namespace

const char* ProgramScheduleName(ProgramSchedule kind) {
  for (const KindName& k : kKindNames)
    if (k.kind == kind) return k.name;
  throw std::logic_error("unknown ProgramSchedule");
}

ProgramSchedule ParseProgramSchedule(const std::string& name) {
  for (const KindName& k : kKindNames)
    if (name == k.name) return k.kind;
  throw std::invalid_argument("schedule: '" + name + "' is not one of none, gpipe, 1f1b, interleaved, zb-h1");
}

ScheduleSpec PipelineSpec(ProgramSchedule kind, int pp, int micro_batches, int vpp) {
  ScheduleSpec s;
  s.kind = kind;
  s.pp = pp;
  s.vpp = vpp;
  s.micro_batches = micro_batches;
  return s;
}

void ValidateScheduleSpec(const ScheduleSpec& s) {
  const std::string kind = ProgramScheduleName(s.kind);
  Require(s.pp >= 1, "pp must be >= 1 (got " + std::to_string(s.pp) + ")");
  Require(s.vpp >= 1, "vpp must be >= 1 (got " + std::to_string(s.vpp) + ")");
  Require(s.micro_batches >= 1, "micro_batches must be >= 1 (got " + std::to_string(s.micro_batches) + ")");
  Require(s.dp >= 1, "dp must be >= 1 (got " + std::to_string(s.dp) + ")");
  Require(s.zero_stage >= 0 && s.zero_stage <= 3,
          "zero_stage must be 0, 1, 2 or 3 (got " + std::to_string(s.zero_stage) + ")");
  Require(s.grad_buckets_per_chunk >= 1,
          "grad_buckets_per_chunk must be >= 1 (got " + std::to_string(s.grad_buckets_per_chunk) + ")");
  // Instructions hold chunk, peer stage, bucket and part in 16 bits.
  const std::string max = std::to_string(kMaxInstructionField);
  Require(s.pp <= kMaxInstructionField, "pp must be <= " + max + " (got " + std::to_string(s.pp) + ")");
  Require(s.vpp <= kMaxInstructionField, "vpp must be <= " + max + " (got " + std::to_string(s.vpp) + ")");
  Require(s.grad_buckets_per_chunk <= kMaxInstructionField,
          "grad_buckets_per_chunk must be <= " + max + " (got " + std::to_string(s.grad_buckets_per_chunk) + ")");
  Require(s.p2p_bytes >= 0 && s.grad_bytes_per_chunk >= 0 && s.param_bytes_per_chunk >= 0,
          "p2p_bytes, grad_bytes_per_chunk and param_bytes_per_chunk must be >= 0");
  Require(s.kind != ProgramSchedule::kNone || s.pp == 1,
          "schedule none (no pipeline) requires pp = 1 (got pp " + std::to_string(s.pp) + ")");
  Require(s.vpp == 1 || s.kind == ProgramSchedule::kInterleaved,
          "vpp > 1 requires the interleaved schedule (got " + kind + " with vpp " + std::to_string(s.vpp) + ")");
  if (s.kind == ProgramSchedule::kInterleaved) {
    Require(s.pp >= 2, "interleaved schedule requires pp >= 2 (got pp " + std::to_string(s.pp) + ")");
    Require(s.vpp >= 2, "interleaved schedule requires vpp >= 2 (got vpp " + std::to_string(s.vpp) + ")");
    Require(s.micro_batches % s.pp == 0,
            "interleaved schedule requires micro_batches (" + std::to_string(s.micro_batches) +
                ") to be a multiple of pp (" + std::to_string(s.pp) + ")");
  }
  Require(s.kind != ProgramSchedule::kZbH1 || s.pp >= 2,
          "zb-h1 schedule requires pp >= 2 (got pp " + std::to_string(s.pp) + ")");
}

std::vector<Program> GeneratePrograms(const ScheduleSpec& spec) {
  ValidateScheduleSpec(spec);
  std::vector<Program> programs;
  programs.reserve(spec.pp);
  for (int s = 0; s < spec.pp; ++s) programs.push_back(StageBuilder(spec, s).Build());
  return programs;
}

}  // namespace parallax
