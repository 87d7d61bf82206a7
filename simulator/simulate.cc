// Simulate(): job -> schedule spec -> programs -> cost graph -> timeline ->
// step time, MFU, bubble and breakdown. See simulate.h.
#include "simulator/simulate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <list>
#include <memory>
#include <mutex>
#include <tuple>

#include "core/model.h"
#include "core/validate.h"
#include "simulator/memory_model.h"
#include "simulator/schedule.h"

namespace parallax {
namespace {

ProgramSchedule ProgramScheduleOf(const ParallelConfig& p) {
  if (p.pp == 1) return ProgramSchedule::kNone;
  switch (p.schedule) {
    case ScheduleKind::kGPipe: return ProgramSchedule::kGPipe;
    case ScheduleKind::k1F1B: return ProgramSchedule::k1F1B;
    case ScheduleKind::kInterleaved: return ProgramSchedule::kInterleaved;
    case ScheduleKind::kZbH1: return ProgramSchedule::kZbH1;
  }
  return ProgramSchedule::k1F1B;
}

// Gradient buckets per chunk: Megatron's DDP default of ~40M parameters per
// bucket, at most 16 per chunk (keeps the graph small; the exposed tail of an
// overlapped reduction is one bucket).
constexpr double kBucketParams = 40e6;
constexpr int kMaxBucketsPerChunk = 16;

// Per (stage, chunk) costs of one micro-batch: the chunk's layers, plus the
// embedding on the first virtual stage and the head on the last.
std::vector<std::vector<LayerCost>> ChunkCosts(const Job& job, const CostModel& cm) {
  const ParallelConfig& p = job.parallel;
  const ModelSpec& m = job.model;
  const std::vector<int> stage_layers = job.StageLayers();
  LayerCost dense, moe;
  bool have_dense = false, have_moe = false;
  auto layer_cost = [&](int l) -> const LayerCost& {
    if (m.IsMoeLayer(l)) {
      if (!have_moe) moe = cm.Layer(l), have_moe = true;
      return moe;
    }
    if (!have_dense) dense = cm.Layer(l), have_dense = true;
    return dense;
  };
  std::vector<std::vector<LayerCost>> out(p.pp, std::vector<LayerCost>(p.vpp));
  const int virtual_stages = p.pp * p.vpp;
  int first = 0;
  for (int vs = 0; vs < virtual_stages; ++vs) {
    const int s = vs % p.pp, c = vs / p.pp;
    const int n = stage_layers[s] / p.vpp;
    LayerCost& cost = out[s][c];
    for (int l = first; l < first + n; ++l) {
      LayerCost layer = layer_cost(l);
      if (LayerRecompute(p, l - first) == Recompute::kNone) layer.recompute = PassTime();
      cost += layer;
    }
    if (vs == 0) cost += cm.Embedding();
    if (vs == virtual_stages - 1) cost += cm.Head();
    if (vs + 1 < virtual_stages) cost.forward.pp_comm_s += cm.BlockingP2pTime();
    if (vs > 0) cost.backward_input.pp_comm_s += cm.BlockingP2pTime();
    first += n;
  }
  return out;
}

struct Plan {
  std::vector<std::vector<LayerCost>> chunks;
  std::vector<double> optimizer_s;
  double p2p_s = 0;
  std::vector<double> chunk_params;  // parameters of one chunk on one GPU, per stage
  std::vector<double> first_params;  // what a stage's first compute needs first: a layer (+ the embedding)
};

Plan MakePlan(const Job& job, const CostModel& cm) {
  const ParallelConfig& p = job.parallel;
  Plan plan;
  plan.chunks = ChunkCosts(job, cm);
  for (int s = 0; s < p.pp; ++s) plan.optimizer_s.push_back(cm.OptimizerTime(s));
  plan.p2p_s = cm.P2pTime();
  for (int s = 0; s < p.pp; ++s) {
    const StageParams sp = ParamsOnStage(job, s);
    plan.chunk_params.push_back((sp.dense + sp.expert) / p.vpp);
    plan.first_params.push_back(std::min(plan.chunk_params.back(), sp.largest_layer + sp.embedding));
  }
  return plan;
}

ScheduleSpec SpecOf(const Job& job, const CostModel& cm, const Plan& plan) {
  const ParallelConfig& p = job.parallel;
  ScheduleSpec spec;
  spec.kind = ProgramScheduleOf(p);
  spec.pp = p.pp;
  spec.vpp = p.vpp;
  spec.micro_batches = static_cast<int>(job.micro_batches());
  spec.p2p_bytes = cm.P2pBytes();
  spec.dp = p.dp;
  spec.zero_stage = p.zero;
  spec.overlap_grad_reduce = job.parallel.overlap_grad_reduce;
  spec.grad_buckets_per_chunk =
      std::clamp(static_cast<int>(std::ceil(plan.chunk_params[0] / kBucketParams)), 1, kMaxBucketsPerChunk);
  spec.grad_bytes_per_chunk = static_cast<int64_t>(plan.chunk_params[0] * cm.GradBytesPerParam());
  spec.param_bytes_per_chunk = static_cast<int64_t>(plan.chunk_params[0] * cm.ParamBytesPerParam());
  spec.param_bytes_first_gather = static_cast<int64_t>(plan.first_params[0] * cm.ParamBytesPerParam());
  return spec;
}

// The spec carries one chunk size; each stage's DP messages are sized by its
// own chunk (the first holds the embedding, the last the head).
MessageBytes BytesOf(const Plan& plan, const CostModel& cm, const ScheduleSpec& spec) {
  MessageBytes b;
  b.p2p = spec.p2p_bytes;
  b.grad_buckets_per_chunk = spec.grad_buckets_per_chunk;
  for (const double params : plan.chunk_params) {
    b.grad.push_back(static_cast<int64_t>(params * cm.GradBytesPerParam()));
    b.param.push_back(static_cast<int64_t>(params * cm.ParamBytesPerParam()));
  }
  for (const double params : plan.first_params) b.param_first.push_back(static_cast<int64_t>(params * cm.ParamBytesPerParam()));
  return b;
}

// Programs and their graph depend only on the schedule's structure, which the
// planner revisits for many configurations (other models, micro-batch sizes
// with the same count, recompute, kernels): the last few are kept.
struct Structure {
  std::vector<Program> programs;
  std::unique_ptr<CostGraph> graph;
};

struct StructureCache {
  using Key = std::tuple<int, int, int, int, bool, int, int, bool>;
  std::mutex mu;
  std::list<std::pair<Key, std::shared_ptr<const Structure>>> entries;  // most recent first
};

StructureCache& Cache() {
  static StructureCache* cache = new StructureCache;  // never destroyed: results may outlive statics
  return *cache;
}

std::shared_ptr<const Structure> StructureOf(const ScheduleSpec& spec) {
  const StructureCache::Key key{static_cast<int>(spec.kind), spec.pp,          spec.vpp,
                                spec.micro_batches,           spec.dp > 1,     spec.zero_stage,
                                spec.grad_buckets_per_chunk,     spec.overlap_grad_reduce};
  std::mutex& mu = Cache().mu;
  auto& cache = Cache().entries;
  constexpr size_t kCacheSize = 8;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->first == key) {
        cache.splice(cache.begin(), cache, it);
        return cache.front().second;
      }
    }
  }
  auto made = std::make_shared<Structure>();
  made->programs = GeneratePrograms(spec);
  made->graph = std::make_unique<CostGraph>(made->programs);
  std::lock_guard<std::mutex> lock(mu);
  cache.emplace_front(key, made);
  if (cache.size() > kCacheSize) cache.pop_back();
  return made;
}

// Seconds of each compute op (F, B, BI, BW; OpKind order) of one chunk, whole:
// summed once per chunk rather than once per instruction.
std::array<double, 4> ComputeOpSeconds(const LayerCost& c) {
  return {c.forward.total_s(), c.backward_s(), c.recompute.total_s() + c.backward_input.total_s(),
          c.backward_weight.total_s()};
}

// Duration of a compute op from its chunk's op seconds (a split part takes 1/parts).
double ComputeDuration(const std::array<double, 4>& op_s, const Instruction& in) {
  static_assert(static_cast<int>(OpKind::kForward) == 0 && static_cast<int>(OpKind::kBackwardWeight) == 3,
                "compute ops first");
  const double parts = in.num_parts > 0 ? in.num_parts : 1;
  return op_s[static_cast<int>(in.op)] / parts;
}

// Adds a compute op's time to the breakdown by kind.
void AddToBreakdown(const LayerCost& c, const Instruction& in, StepBreakdown* b) {
  const double k = 1.0 / (in.num_parts > 0 ? in.num_parts : 1);
  auto add = [&](const PassTime& t) {
    b->compute_s += k * t.compute_s();
    b->tp_comm_s += k * t.tp_comm_s;
    b->cp_comm_s += k * t.cp_comm_s;
    b->ep_comm_s += k * t.ep_comm_s;
    b->pp_comm_s += k * t.pp_comm_s;
  };
  const bool has_recompute = in.op == OpKind::kBackward || in.op == OpKind::kBackwardInput;
  if (in.op == OpKind::kForward) add(c.forward);
  if (has_recompute) b->recompute_s += k * c.recompute.total_s();
  if (in.op == OpKind::kBackward || in.op == OpKind::kBackwardInput) add(c.backward_input);
  if (in.op == OpKind::kBackward || in.op == OpKind::kBackwardWeight) add(c.backward_weight);
}

double FlopsPerStep(const Job& job, bool hardware) {
  const FlopCounts f = CountFlops(job.model, job.training.seq);
  const double tokens = static_cast<double>(job.training.global_batch) * job.training.seq;
  double per_token = f.model_per_token();
  if (hardware && job.parallel.recompute == Recompute::kFull) {
    // The share of layers recomputed (all, or the first recompute_layers of each chunk).
    const ParallelConfig& p = job.parallel;
    double recomputed = 0;
    for (const int layers : job.StageLayers()) {
      const int chunk = layers / p.vpp;
      recomputed += p.vpp * (p.recompute_layers > 0 ? std::min(p.recompute_layers, chunk) : chunk);
    }
    per_token += f.forward_per_token * recomputed / job.model.num_layers;
  }
  if (hardware && job.parallel.recompute == Recompute::kSelective) per_token += f.attention_forward_per_token;
  return per_token * tokens;
}

}  // namespace

int64_t MessageBytes::Of(int stage, const Instruction& in) const {
  if (in.stream == Stream::kP2p) return p2p;
  if (in.stream != Stream::kDataParallel) return in.bytes;
  const int64_t total = in.op == OpKind::kParamAllGather ? param[stage] : grad[stage];
  if (in.op == OpKind::kParamAllGather && in.num_parts == 2) {  // ZeRO-3's first gather: head, then the rest
    const int64_t head = std::min(total, param_first[stage]);
    return in.part == 0 ? head : total - head;
  }
  if (in.bucket < 0) return total;
  const int n = grad_buckets_per_chunk;  // as the generator splits them
  return total / n + (in.bucket < total % n ? 1 : 0);
}

Program SimResult::ProgramOf(int stage) const {
  Program p = (*structure)[stage];
  for (Instruction& in : p.instructions) in.bytes = bytes.Of(stage, in);
  return p;
}

std::vector<Program> SimResult::Programs() const {
  std::vector<Program> out;
  out.reserve(num_stages());
  for (int s = 0; s < num_stages(); ++s) out.push_back(ProgramOf(s));
  return out;
}

void ClearSimulateCache() {
  std::lock_guard<std::mutex> lock(Cache().mu);
  Cache().entries.clear();
}

double StepBreakdown::total_s() const {
  return compute_s + recompute_s + tp_comm_s + cp_comm_s + ep_comm_s + pp_comm_s + dp_comm_s + bubble_s +
         optimizer_s + step_overhead_s;
}

std::map<std::string, double> StepBreakdown::ByName() const {
  return {{"compute", compute_s},   {"recompute", recompute_s}, {"tp_comm", tp_comm_s},
          {"cp_comm", cp_comm_s},   {"ep_comm", ep_comm_s},     {"pp_comm", pp_comm_s},
          {"dp_comm", dp_comm_s},   {"bubble", bubble_s},       {"optimizer", optimizer_s},
          {"step_overhead", step_overhead_s}};
}

SimResult Simulate(const Job& job, const CostParams& params) {
  ValidateJob(job);
  const CostModel cm(job, params);
  const Plan plan = MakePlan(job, cm);
  const ScheduleSpec spec = SpecOf(job, cm, plan);
  const std::shared_ptr<const Structure> structure = StructureOf(spec);
  const CostGraph& graph = *structure->graph;
  SimResult r;
  // Aliases the structure: the programs stay alive as long as the result.
  r.structure = std::shared_ptr<const std::vector<Program>>(structure, &structure->programs);
  r.bytes = BytesOf(plan, cm, spec);
  const std::vector<Program>& programs = structure->programs;
  const int vpp = job.parallel.vpp;
  std::vector<std::array<double, 4>> op_s;  // [stage * vpp + chunk]
  for (const auto& stage_chunks : plan.chunks)
    for (const LayerCost& c : stage_chunks) op_s.push_back(ComputeOpSeconds(c));
  auto cost = [&](int stage, int /*index*/, const Instruction& in) -> double {
    if (IsComputeOp(in.op)) return ComputeDuration(op_s[stage * vpp + in.chunk], in);
    if (IsSendOp(in.op) || IsRecvOp(in.op)) return plan.p2p_s;
    if (in.op == OpKind::kOptimizerStep) return plan.optimizer_s[stage];
    return cm.DpTime(in.op, r.bytes.Of(stage, in));
  };
  r.timeline = graph.Schedule(cost);

  // Critical stage: the most busy compute-stream time.
  double busiest = -1;
  for (int s = 0; s < static_cast<int>(programs.size()); ++s) {
    double busy = 0;
    const auto& ins = programs[s].instructions;
    for (int i = 0; i < static_cast<int>(ins.size()); ++i)
      if (ins[i].stream == Stream::kCompute) busy += r.timeline.end_s(s, i) - r.timeline.start_s(s, i);
    if (busy > busiest + 1e-15) busiest = busy, r.critical_stage = s;
  }
  StepBreakdown& b = r.breakdown;
  for (const Instruction& in : programs[r.critical_stage].instructions) {
    if (IsComputeOp(in.op)) AddToBreakdown(plan.chunks[r.critical_stage][in.chunk], in, &b);
    if (in.op == OpKind::kOptimizerStep) b.optimizer_s += plan.optimizer_s[r.critical_stage];
  }
  const ComputeIdle idle = graph.IdleOf(r.timeline, r.critical_stage);
  b.pp_comm_s += idle.pp_wait_s;
  b.dp_comm_s = idle.dp_wait_s;
  b.bubble_s = idle.bubble_s;
  b.step_overhead_s = params.step_overhead_s;

  const ParallelConfig& p = job.parallel;
  r.step_time_s = r.timeline.step_time_s + params.step_overhead_s;
  r.tokens_per_s = static_cast<double>(job.training.global_batch) * job.training.seq / r.step_time_s;
  r.model_flops = FlopsPerStep(job, false);
  r.hardware_flops = FlopsPerStep(job, true);
  const double capacity = r.step_time_s * p.gpus() * job.cluster.gpu.peak_bf16_flops;
  r.mfu = r.model_flops / capacity;
  r.hfu = r.hardware_flops / capacity;
  r.bubble_fraction = b.bubble_s / r.step_time_s;
  r.dp_replicas = p.dp;
  r.note = "one data-parallel replica simulated (dp = " + std::to_string(p.dp) + ", " +
           std::to_string(p.tp * p.cp) + " GPUs per stage); bubble_fraction = bubble / step time on stage " +
           std::to_string(r.critical_stage);
  return r;
}

double EstimateStepTimeLowerBound(const Job& job, const CostParams& params) {
  ValidateJob(job);
  const CostModel cm(job, params);
  const ParallelConfig& p = job.parallel;
  const std::vector<std::vector<LayerCost>> chunks = ChunkCosts(job, cm);
  const double m = static_cast<double>(job.micro_batches());
  const double p2p = p.pp > 1 ? cm.P2pTime() : 0.0;
  // Drain: after stage s's last backward (chunk 0 of the last micro-batch),
  // that gradient still passes the backward of chunk 0 on stages s-1..0, and
  // stage 0 then runs its optimizer step (not for ZB-H1, whose last work on a
  // stage may be deferred weight gradients).
  const bool drain = p.schedule != ScheduleKind::kZbH1;
  // ZB-H1 (one chunk): after stage s's last input-grad backward (BI) come at
  // most min(s + 1, m) weight-grad halves (BW: the one its BI releases and the
  // s it keeps pending, schedule_order.cc); that BI's gradient
  // still passes the BI of stages s-1..0, then stage 0 runs its last BW and
  // its optimizer step.
  const bool zb = p.schedule == ScheduleKind::kZbH1 && p.pp > 1 && p.vpp == 1;
  double bound = 0, prefix = 0, drain_s = 0, bi_chain_s = 0;
  for (int s = 0; s < p.pp; ++s) {
    double own = 0;
    for (const LayerCost& c : chunks[s]) own += m * (c.forward.total_s() + c.backward_s());
    const double tail = s > 0 && drain ? std::max(cm.OptimizerTime(s), drain_s + cm.OptimizerTime(0)) : cm.OptimizerTime(s);
    bound = std::max(bound, prefix + own + tail);
    if (zb && s > 0) {
      const double deferred = std::min<double>(s + 1, m) * chunks[s][0].backward_weight.total_s();
      bound = std::max(bound, prefix + own - deferred + bi_chain_s + chunks[0][0].backward_weight.total_s() +
                                  cm.OptimizerTime(0));
    }
    prefix += chunks[s][0].forward.total_s() + p2p;
    drain_s += chunks[s][0].backward_s() + p2p;
    bi_chain_s += chunks[s][0].recompute.total_s() + chunks[s][0].backward_input.total_s() + p2p;
  }
  return bound + params.step_overhead_s;
}

}  // namespace parallax
