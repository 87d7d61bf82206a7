// Compute orders of the pipeline schedules on one stage. See schedule_order.h.
#include "simulator/schedule_order.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace parallax {
namespace {

using Order = std::vector<ComputeStep>;

// No pipeline: gradient accumulation, F then B per micro-batch.
Order NoPipelineOrder(const ScheduleSpec& spec, int /*stage*/) {
  Order o;
  for (int mb = 0; mb < spec.micro_batches; ++mb) {
    o.push_back({OpKind::kForward, 0, mb});
    o.push_back({OpKind::kBackward, 0, mb});
  }
  return o;
}

// GPipe (Huang et al. 2019): all forwards, then all backwards in micro-batch
// order (as torch.distributed.pipelining's ScheduleGPipe).
Order GPipeOrder(const ScheduleSpec& spec, int /*stage*/) {
  Order o;
  for (int mb = 0; mb < spec.micro_batches; ++mb) o.push_back({OpKind::kForward, 0, mb});
  for (int mb = 0; mb < spec.micro_batches; ++mb) o.push_back({OpKind::kBackward, 0, mb});
  return o;
}

// 1F1B / PipeDream-Flush (Narayanan et al. SC'21; Megatron's
// forward_backward_pipelining_without_interleaving): min(pp - s - 1, m) warm-up
// forwards, then one forward and one backward per step, then the cool-down
// backwards.
Order OneFOneBOrder(const ScheduleSpec& spec, int stage) {
  const int m = spec.micro_batches;
  const int warmup = std::min(spec.pp - stage - 1, m);
  Order o;
  for (int mb = 0; mb < warmup; ++mb) o.push_back({OpKind::kForward, 0, mb});
  for (int k = 0; k < m - warmup; ++k) {
    o.push_back({OpKind::kForward, 0, warmup + k});
    o.push_back({OpKind::kBackward, 0, k});
  }
  for (int k = m - warmup; k < m; ++k) o.push_back({OpKind::kBackward, 0, k});
  return o;
}

// Megatron-core's forward_backward_pipelining_with_interleaving: virtual
// micro-batch k runs chunk (k mod pp·v) / pp (reversed for backwards) on
// micro-batch (k / (pp·v))·pp + k mod pp, i.e. groups of pp micro-batches per
// chunk; warm-up forwards from InterleavedWarmupForwards, then 1F1B over virtual
// micro-batches (forward first), then the cool-down backwards.
Order InterleavedOrder(const ScheduleSpec& spec, int stage) {
  const int p = spec.pp, v = spec.vpp, total = spec.micro_batches * v;
  auto chunk_of = [&](int k, bool forward) {
    const int c = (k % (p * v)) / p;
    return forward ? c : v - 1 - c;
  };
  auto mb_of = [&](int k) { return (k / (p * v)) * p + k % p; };
  const int warmup = InterleavedWarmupForwards(p, v, spec.micro_batches, stage);
  Order o;
  for (int k = 0; k < warmup; ++k) o.push_back({OpKind::kForward, chunk_of(k, true), mb_of(k)});
  for (int k = 0; k < total - warmup; ++k) {
    const int f = warmup + k;
    o.push_back({OpKind::kForward, chunk_of(f, true), mb_of(f)});
    o.push_back({OpKind::kBackward, chunk_of(k, false), mb_of(k)});
  }
  for (int k = total - warmup; k < total; ++k)
    o.push_back({OpKind::kBackward, chunk_of(k, false), mb_of(k)});
  return o;
}

// ZB-H1 (Qi et al., ICLR'24, "Zero Bubble Pipeline Parallelism", the handcrafted
// H1 schedule): 1F1B's forwards and input-grad backwards (BI) in 1F1B order, with
// the weight-grad halves (BW) deferred: stage s keeps up to s of them pending.
// The first stage runs each BW right after its BI; later stages put theirs off
// so that their BIs, which are on the critical path back to stage 0, go first,
// and the deferred BWs fill the cool-down bubble. Same warm-up as 1F1B, so the
// same peak of un-backwarded micro-batches
// (pp - s). With T_W <= T_F, T_B and m >= pp its bubble is
// (pp-1)(T_F + T_B - T_W), versus (pp-1)(T_F + T_B + T_W) for 1F1B.
Order ZbH1Order(const ScheduleSpec& spec, int stage) {
  const int m = spec.micro_batches;
  const int warmup = std::min(spec.pp - stage - 1, m);
  const int max_pending_w = stage;
  Order o;
  int next_f = 0, next_b = 0, next_w = 0;
  for (; next_f < warmup; ++next_f) o.push_back({OpKind::kForward, 0, next_f});
  while (next_b < m) {
    if (next_f < m) o.push_back({OpKind::kForward, 0, next_f++});
    o.push_back({OpKind::kBackwardInput, 0, next_b++});
    for (; next_b - next_w > max_pending_w; ++next_w) o.push_back({OpKind::kBackwardWeight, 0, next_w});
  }
  for (; next_w < m; ++next_w) o.push_back({OpKind::kBackwardWeight, 0, next_w});
  return o;
}

using OrderFn = Order (*)(const ScheduleSpec&, int);
const std::map<ProgramSchedule, OrderFn>& OrderTable() {
  static const std::map<ProgramSchedule, OrderFn> table = {
      {ProgramSchedule::kNone, NoPipelineOrder},
      {ProgramSchedule::kGPipe, GPipeOrder},
      {ProgramSchedule::k1F1B, OneFOneBOrder},
      {ProgramSchedule::kInterleaved, InterleavedOrder},
      {ProgramSchedule::kZbH1, ZbH1Order},
  };
  return table;
}

}  // namespace

int InterleavedWarmupForwards(int pp, int vpp, int micro_batches, int stage) {
  // Megatron-core: if the warm-up would reach the total, every virtual
  // micro-batch is a warm-up forward (all forwards, then all backwards).
  return std::min((pp - stage - 1) * 2 + (vpp - 1) * pp, micro_batches * vpp);
}

std::vector<ComputeStep> ComputeOrder(const ScheduleSpec& spec, int stage) {
  return OrderTable().at(spec.kind)(spec, stage);
}

}  // namespace parallax
