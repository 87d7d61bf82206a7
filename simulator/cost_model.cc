// The cost model's formulas, each in one place. Conventions: T = b·s/cp tokens
// per GPU and micro-batch, t = tp, activations in bf16 (2 bytes), a GEMM
// C[m,n] = A[m,k]·B[k,n] does 2mnk FLOPs. For a linear layer Y[T,n] = X[T,k]·W[k,n]
// the backward is dgrad dX = dY·Wᵀ (m=T, n=k, k=n) and wgrad dW = Xᵀ·dY
// (m=k, n=n, k=T). See cost_model.h for what each function returns.
#include "simulator/cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "simulator/memory_model.h"

namespace parallax {
namespace {

constexpr double kActBytes = 2.0;  // bf16 activations

}  // namespace

PassTime& PassTime::operator+=(const PassTime& o) {
  gemm_s += o.gemm_s;
  attention_s += o.attention_s;
  memory_s += o.memory_s;
  overhead_s += o.overhead_s;
  tp_comm_s += o.tp_comm_s;
  cp_comm_s += o.cp_comm_s;
  ep_comm_s += o.ep_comm_s;
  pp_comm_s += o.pp_comm_s;
  return *this;
}

PassTime operator*(double k, const PassTime& t) {
  PassTime r;
  r.gemm_s = k * t.gemm_s;
  r.attention_s = k * t.attention_s;
  r.memory_s = k * t.memory_s;
  r.overhead_s = k * t.overhead_s;
  r.tp_comm_s = k * t.tp_comm_s;
  r.cp_comm_s = k * t.cp_comm_s;
  r.ep_comm_s = k * t.ep_comm_s;
  r.pp_comm_s = k * t.pp_comm_s;
  return r;
}

LayerCost& LayerCost::operator+=(const LayerCost& o) {
  forward += o.forward;
  backward_input += o.backward_input;
  backward_weight += o.backward_weight;
  recompute += o.recompute;
  return *this;
}

double BusFactor(CollectiveOp op, int n) {
  if (n <= 1) return 0;
  switch (op) {
    case CollectiveOp::kAllReduce: return 2.0 * (n - 1) / n;
    case CollectiveOp::kAllGather:
    case CollectiveOp::kReduceScatter:
    case CollectiveOp::kAllToAll: return static_cast<double>(n - 1) / n;
    case CollectiveOp::kSendRecv: return 1.0;
  }
  return 1.0;
}

CostModel::CostModel(const Job& job, const CostParams& params)
    : job_(job), params_(params), topology_(job.cluster, job.parallel) {}

double CostModel::TokensPerRank() const {
  return static_cast<double>(job_.training.micro_batch) * job_.training.seq / job_.parallel.cp;
}

// GEMM efficiency. With a measured table: inverse-distance weighting of the 4
// nearest measured shapes in (ln m, ln n, ln k) space (exact at a table point).
// Without: gemm_max_efficiency, the size roll-off coming from GemmTime's
// roofline + fixed latency.
double CostModel::GemmEfficiency(int64_t m, int64_t n, int64_t k) const {
  const ClusterSpec& c = job_.cluster;
  if (c.gemm.empty()) return c.gemm_max_efficiency * params_.gemm_efficiency_scale;
  const double lm = std::log(static_cast<double>(m)), ln = std::log(static_cast<double>(n)),
               lk = std::log(static_cast<double>(k));
  struct Near {
    double d2;
    double eff;
  };
  std::vector<Near> near;
  near.reserve(c.gemm.size());
  for (const GemmPoint& p : c.gemm) {
    const double dm = lm - std::log(static_cast<double>(p.m)), dn = ln - std::log(static_cast<double>(p.n)),
                 dk = lk - std::log(static_cast<double>(p.k));
    const double d2 = dm * dm + dn * dn + dk * dk;
    const double eff = p.flops_per_s / c.gpu.peak_bf16_flops;
    if (d2 < 1e-18) return eff * params_.gemm_efficiency_scale;
    near.push_back({d2, eff});
  }
  const size_t kNeighbours = std::min<size_t>(4, near.size());
  std::partial_sort(near.begin(), near.begin() + kNeighbours, near.end(),
                    [](const Near& a, const Near& b) { return a.d2 < b.d2; });
  double wsum = 0, esum = 0;
  for (size_t i = 0; i < kNeighbours; ++i) {
    const double w = 1.0 / std::sqrt(near[i].d2);
    wsum += w;
    esum += w * near[i].eff;
  }
  return esum / wsum * params_.gemm_efficiency_scale;
}

// GEMM time. Table: 2mnk / (peak x interpolated efficiency). Fallback: the
// roofline max(FLOPs at peak x gemm_max_efficiency, bytes of A, B, C over HBM)
// plus a fixed per-kernel latency (tiles, wave quantization, launch), which is
// what makes small GEMMs fall off.
double CostModel::GemmTime(int64_t m, int64_t n, int64_t k) const {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const double flops = 2.0 * m * n * k;
  const double peak = job_.cluster.gpu.peak_bf16_flops;
  if (!job_.cluster.gemm.empty()) return flops / (peak * GemmEfficiency(m, n, k));
  const double bytes = kActBytes * (static_cast<double>(m) * k + static_cast<double>(k) * n + static_cast<double>(m) * n);
  return std::max(flops / (peak * GemmEfficiency(m, n, k)), MemoryTime(bytes)) + params_.gemm_latency_s;
}

double CostModel::MemoryTime(double bytes) const {
  const ClusterSpec& c = job_.cluster;
  return bytes / (c.gpu.hbm_bytes_per_s * c.memory_bandwidth_efficiency * params_.memory_efficiency_scale);
}

namespace {

// Bus bandwidth of a measured curve at `bytes`: linear in ln(bytes) between
// points, clamped at the ends. Returns the time; below the smallest measured
// size the time of the smallest size (latency-bound).
double CurveTime(const CollectiveCurve& curve, CollectiveOp op, int n, double bytes) {
  const auto& pts = curve.points;
  const double factor = BusFactor(op, n);
  auto time_at = [&](double b, double busbw) { return b * factor / busbw; };
  if (bytes <= pts.front().bytes) return time_at(pts.front().bytes, pts.front().bus_bytes_per_s);
  if (bytes >= pts.back().bytes) return time_at(bytes, pts.back().bus_bytes_per_s);
  for (size_t i = 1; i < pts.size(); ++i) {
    if (bytes <= pts[i].bytes) {
      const double x0 = std::log(static_cast<double>(pts[i - 1].bytes)), x1 = std::log(static_cast<double>(pts[i].bytes));
      const double f = (std::log(bytes) - x0) / (x1 - x0);
      const double busbw = pts[i - 1].bus_bytes_per_s + f * (pts[i].bus_bytes_per_s - pts[i - 1].bus_bytes_per_s);
      return time_at(bytes, busbw);
    }
  }
  return time_at(bytes, pts.back().bus_bytes_per_s);
}

// The measured curve for (op, inter-node or not) whose group size is nearest
// to n (bus bandwidth is nearly independent of n by nccl-tests' design).
const CollectiveCurve* FindCurve(const ClusterSpec& c, CollectiveOp op, bool inter_node, int n) {
  const CollectiveCurve* best = nullptr;
  double best_d = std::numeric_limits<double>::infinity();
  for (const CollectiveCurve& cc : c.collectives) {
    if (cc.op != op || cc.inter_node != inter_node || cc.points.empty()) continue;
    const double d = std::fabs(std::log(static_cast<double>(cc.group_size)) - std::log(static_cast<double>(n)));
    if (d < best_d) {
      best_d = d;
      best = &cc;
    }
  }
  return best;
}

}  // namespace

// Collective time: measured curve when the profile has one for this op and
// link kind; else bytes x BusFactor / (link bandwidth x collective_efficiency)
// + link latency. A group across nodes with k members per node is
// hierarchical: the intra-node part on NVLink, the inter-node part on bytes/k
// over the k members' own NICs in parallel (one NIC per GPU).
double CostModel::CollectiveTime(CollectiveOp op, double bytes, const GroupSpan& g) const {
  if (g.size <= 1 || bytes <= 0) return 0;
  const ClusterSpec& c = job_.cluster;
  if (const CollectiveCurve* curve = FindCurve(c, op, g.inter_node(), g.size)) return CurveTime(*curve, op, g.size, bytes);
  const double eff = c.collective_efficiency;
  const double intra_bw = c.intra_node.bytes_per_s * eff, inter_bw = c.inter_node.bytes_per_s * eff;
  auto flat = [&](CollectiveOp o, double b, int n, double bw, double latency) {
    return n <= 1 ? 0.0 : b * BusFactor(o, n) / bw + latency;
  };
  if (!g.inter_node()) return flat(op, bytes, g.size, intra_bw, c.intra_node.latency_s);
  const int k = g.ranks_per_node, nodes = g.nodes;
  const double lat = c.inter_node.latency_s;
  switch (op) {
    case CollectiveOp::kSendRecv: return flat(op, bytes, 2, inter_bw, lat);
    case CollectiveOp::kAllReduce:
      // reduce-scatter in the node, all-reduce of 1/k across nodes, all-gather in the node
      return flat(CollectiveOp::kReduceScatter, bytes, k, intra_bw, c.intra_node.latency_s) +
             flat(CollectiveOp::kAllReduce, bytes / k, nodes, inter_bw, lat) +
             flat(CollectiveOp::kAllGather, bytes, k, intra_bw, c.intra_node.latency_s);
    case CollectiveOp::kAllGather:
    case CollectiveOp::kReduceScatter:
      return flat(op, bytes, k, intra_bw, c.intra_node.latency_s) + flat(op, bytes / k, nodes, inter_bw, lat);
    case CollectiveOp::kAllToAll: {
      // The share of each rank's data bound for other nodes crosses its own NIC.
      const double off_node = bytes * static_cast<double>(g.size - k) / g.size;
      return off_node / inter_bw + bytes * (k - 1.0) / g.size / intra_bw + lat;
    }
  }
  return 0;
}

// One linear layer Y[T,n] = X[T,k]·W[k,n]: forward GEMM returned, backward
// dgrad and wgrad GEMMs added to *dgrad / *wgrad.
PassTime CostModel::LinearTimes(int64_t tokens, int64_t out_features, int64_t in_features, PassTime* dgrad,
                                PassTime* wgrad) const {
  PassTime f;
  if (tokens <= 0 || out_features <= 0 || in_features <= 0) return f;
  f.gemm_s = GemmTime(tokens, out_features, in_features);
  dgrad->gemm_s += GemmTime(tokens, in_features, out_features);
  wgrad->gemm_s += GemmTime(in_features, out_features, tokens);
  return f;
}

// Attention core forward per GPU: heads/t local heads, queries T = b·s/cp
// against keys of the whole sequence s (ring attention visits all of it).
//  flash:   4·b·(s/cp)·s·(heads/t)·d FLOPs, halved for causal masking, at
//           peak x gemm_max_efficiency x flash_attention_relative_efficiency;
//  unfused: score and context GEMMs (m=s/cp, n=s, k=d; m=s/cp, n=d, k=s) per
//           (sample, head), full s² (no causal skipping), plus the softmax
//           (read + write 2 B/score), dropout (read + write + 1 B mask) over HBM.
PassTime CostModel::AttentionForward() const {
  const ModelSpec& m = job_.model;
  const ParallelConfig& p = job_.parallel;
  const double b = job_.training.micro_batch, s = job_.training.seq;
  const double sq = s / p.cp, heads = static_cast<double>(m.heads) / p.tp, d = m.head_dim;
  PassTime t;
  if (p.attention == AttentionKernel::kFlash) {
    const double flops = 4.0 * b * sq * s * heads * d * 0.5;
    t.attention_s = flops / (job_.cluster.gpu.peak_bf16_flops * job_.cluster.gemm_max_efficiency *
                             params_.flash_attention_relative_efficiency);
  } else {
    const double batch = b * heads;
    const auto sq_i = static_cast<int64_t>(sq), s_i = static_cast<int64_t>(s), d_i = m.head_dim;
    t.attention_s = batch * (GemmTime(sq_i, s_i, d_i) + GemmTime(sq_i, d_i, s_i));
    const double scores = batch * sq * s;
    const double softmax_bytes = scores * 4.0, dropout_bytes = m.dropout > 0 ? scores * 5.0 : 0.0;
    t.attention_s += MemoryTime(softmax_bytes + dropout_bytes);
  }
  return t;
}

// Attention core backward: flash recomputes scores and runs 5 GEMM-like
// products against the forward's 2 (2.5x the forward FLOPs); unfused: dgrad
// of both GEMMs for both operands (2x the forward GEMMs) and the softmax /
// dropout backward (read y, dy, write dx: 6 B/score; dropout 5 B/score).
PassTime CostModel::AttentionBackward() const {
  const ModelSpec& m = job_.model;
  const ParallelConfig& p = job_.parallel;
  if (p.attention == AttentionKernel::kFlash) return 2.5 * AttentionForward();
  const double b = job_.training.micro_batch, s = job_.training.seq;
  const double sq = s / p.cp, heads = static_cast<double>(m.heads) / p.tp;
  const double batch = b * heads;
  const auto sq_i = static_cast<int64_t>(sq), s_i = static_cast<int64_t>(s), d_i = m.head_dim;
  PassTime t;
  t.attention_s = batch * (GemmTime(sq_i, d_i, s_i) + GemmTime(s_i, d_i, sq_i) +  // dQ, dK
                           GemmTime(sq_i, s_i, d_i) + GemmTime(s_i, d_i, sq_i));  // dP, dV
  const double scores = batch * sq * s;
  t.attention_s += MemoryTime(scores * 6.0 + (m.dropout > 0 ? scores * 5.0 : 0.0));
  return t;
}

// Tensor-parallel collectives of `count` activation-sized exchanges, each of
// T·h·2 bytes: without sequence parallel an all-reduce each; with it an
// all-gather + reduce-scatter pair each (same bytes moved).
PassTime CostModel::TpCollectives(int count) const {
  PassTime t;
  if (job_.parallel.tp <= 1 || count == 0) return t;
  const double bytes = TokensPerRank() * job_.model.hidden * kActBytes;
  const double one = job_.parallel.sp ? CollectiveTime(CollectiveOp::kAllGather, bytes, GroupKind::kTp) +
                                            CollectiveTime(CollectiveOp::kReduceScatter, bytes, GroupKind::kTp)
                                      : CollectiveTime(CollectiveOp::kAllReduce, bytes, GroupKind::kTp);
  t.tp_comm_s = count * one;
  return t;
}

// One transformer layer for one micro-batch.
//  GEMMs (per TP rank): QKV (T, (q+2kv)/t, h), out-proj (T, h, q/t), MLP
//  up (T, f/t, h) [SwiGLU: gate+up (T, 2f/t, h)], down (T, h, f/t); MoE: router
//  (T, E, h), E/ep local experts of (T·top_k·ep/E, f_e/t, h) and down, shared
//  experts of width shared·f_e.
//  Memory-bound forward bytes (÷t for hidden-size ops under sequence parallel):
//  2 norms 4·T·h; 2 bias-dropout-residual adds (6 + 1 mask)·T·h; activation
//  GeLU 4·T·f/t, SwiGLU 6·T·f/t; RoPE 4·T·(q+kv)/t. Backward: 2x the bytes.
//  TP: 2 all-reduce-equivalents forward, 2 backward (input grads).
//  CP: ring exchange of K,V ((cp-1) send/recvs of T·2·kv/t·2 B forward, twice
//  that backward for dK, dV), hidden behind the attention core as far as it lasts.
//  EP: all-to-all dispatch + combine of T·top_k·h·2 B, forward and backward.
//  amp (fp32 weights under autocast): weight casts 6 B/param forward, grad
//  casts + fp32 accumulation 10 B/param backward (weight-grad half).
//  Overhead: layer_overhead_s forward, 2x backward; a pass shorter than the
//  host's issue time (layer_host_s forward, 2x backward) takes the host time.
//  Recompute: selective = attention core forward again in the backward;
//  full = the whole forward again.
LayerCost CostModel::Layer(int layer) const {
  const ModelSpec& m = job_.model;
  const ParallelConfig& p = job_.parallel;
  const double t = p.tp;
  const auto T = static_cast<int64_t>(TokensPerRank());
  const double Td = static_cast<double>(T), h = m.hidden;
  LayerCost c;
  PassTime& fwd = c.forward;
  PassTime& dgrad = c.backward_input;
  PassTime& wgrad = c.backward_weight;
  auto linear = [&](int64_t tokens, double out, double in) {
    fwd += LinearTimes(tokens, static_cast<int64_t>(out), static_cast<int64_t>(in), &dgrad, &wgrad);
  };
  linear(T, (m.q_width() + 2.0 * m.kv_width()) / t, h);
  linear(T, h, m.q_width() / t);
  const int gates = m.activation == Activation::kSwiGlu ? 2 : 1;
  const double act_bytes_per = m.activation == Activation::kSwiGlu ? 6.0 : 4.0;
  double ffn_local = 0;  // activation elements per token on this GPU
  if (m.IsMoeLayer(layer)) {
    const MoeSpec& e = m.moe;
    linear(T, e.num_experts, h);  // router
    const int64_t per_expert = std::max<int64_t>(1, T * e.top_k * p.ep / e.num_experts);
    const int local = e.num_experts / p.ep;
    for (int i = 0; i < local; ++i) {
      linear(per_expert, gates * e.expert_ffn_hidden / t, h);
      linear(per_expert, h, e.expert_ffn_hidden / t);
    }
    if (e.shared_experts > 0) {
      const double f = static_cast<double>(e.shared_experts) * e.expert_ffn_hidden / t;
      linear(T, gates * f, h);
      linear(T, h, f);
    }
    ffn_local = (static_cast<double>(e.top_k) + e.shared_experts) * e.expert_ffn_hidden / t;
    const double a2a_bytes = Td * e.top_k * h * kActBytes;
    PassTime a2a;
    a2a.ep_comm_s = 2 * CollectiveTime(CollectiveOp::kAllToAll, a2a_bytes, GroupKind::kEp);
    fwd += a2a;
    dgrad += a2a;
  } else {
    linear(T, gates * m.ffn_hidden / t, h);
    linear(T, h, m.ffn_hidden / t);
    ffn_local = m.ffn_hidden / t;
  }
  const double sp_div = p.sp ? t : 1.0;
  double bytes = 2 * 4.0 * Td * h / sp_div;                               // two norms
  bytes += 2 * (6.0 + (m.dropout > 0 ? 1.0 : 0.0)) * Td * h / sp_div;    // bias-dropout-add x2
  bytes += act_bytes_per * Td * ffn_local;                               // activation
  if (m.position == Position::kRope) bytes += 4.0 * Td * (m.q_width() + m.kv_width()) / t;
  PassTime mem;
  mem.memory_s = MemoryTime(bytes);
  mem.overhead_s = params_.layer_overhead_s;
  fwd += mem;
  dgrad += 2.0 * mem;
  if (job_.training.precision == Precision::kAmp) {
    // Autocast keeps fp32 weights: each forward casts them to bf16 (read 4,
    // write 2 B per parameter); each backward turns the bf16 weight grads into
    // the fp32 .grad (write 2, read 2, read + write 4 + 4 B, ~ 10 B per parameter).
    const LayerParams lp = CountLayerParams(m, layer);
    const double local = (lp.attention + lp.dense_mlp + lp.shared_expert_mlp) / t + lp.norms +
                         static_cast<double>(lp.expert_mlp_each) * lp.num_experts / (t * p.ep);
    PassTime cast_f, cast_w;
    cast_f.memory_s = MemoryTime(6.0 * local);
    cast_w.memory_s = MemoryTime(10.0 * local);
    fwd += cast_f;
    wgrad += cast_w;
  }

  const PassTime attn_f = AttentionForward(), attn_b = AttentionBackward();
  fwd += attn_f;
  dgrad += attn_b;
  fwd += TpCollectives(2);
  dgrad += TpCollectives(2);
  if (p.cp > 1) {
    const double kv_bytes = Td * 2.0 * m.kv_width() / t * kActBytes;
    const double ring = (p.cp - 1) * CollectiveTime(CollectiveOp::kSendRecv, kv_bytes, GroupKind::kCp);
    PassTime cf, cb;
    cf.cp_comm_s = std::max(0.0, ring - attn_f.attention_s);
    cb.cp_comm_s = std::max(0.0, 2 * ring - attn_b.attention_s);
    fwd += cf;
    dgrad += cb;
  }
  // Host-bound passes: the GPU waits for the CPU to issue the kernels.
  const double host_f = params_.layer_host_s, host_b = 2 * params_.layer_host_s;
  if (host_f > fwd.total_s()) fwd.overhead_s += host_f - fwd.total_s();
  if (host_b > dgrad.total_s() + wgrad.total_s()) dgrad.overhead_s += host_b - dgrad.total_s() - wgrad.total_s();
  if (p.recompute == Recompute::kSelective) c.recompute = attn_f;
  if (p.recompute == Recompute::kFull) c.recompute = fwd;
  return c;
}

// Embedding: gather T rows (read + write T·h·2 B), + learned positions (read
// 2 tensors, write 1), dropout; vocab-parallel TP needs an all-reduce (or
// reduce-scatter under SP) of T·h forward. Backward: scatter-add of the
// gradient into the fp32 table (read 2 + read/write 4+4 B per element).
LayerCost CostModel::Embedding() const {
  const ModelSpec& m = job_.model;
  const double Td = TokensPerRank(), h = m.hidden;
  LayerCost c;
  double bytes = 4.0 * Td * h;
  if (m.position == Position::kLearned) bytes += 6.0 * Td * h;
  if (m.dropout > 0) bytes += 5.0 * Td * h;
  c.forward.memory_s = MemoryTime(bytes);
  if (job_.parallel.tp > 1) {
    const double b = Td * h * kActBytes;
    c.forward.tp_comm_s = job_.parallel.sp ? CollectiveTime(CollectiveOp::kReduceScatter, b, GroupKind::kTp)
                                           : CollectiveTime(CollectiveOp::kAllReduce, b, GroupKind::kTp);
  }
  c.backward_weight.memory_s = MemoryTime(10.0 * Td * h);
  return c;
}

// Head: final norm (4·T·h/sp B), LM head GEMM (T, V/t, h) with padded V,
// cross-entropy over the T·V/t logits (fp32 softmax: read 2 + write 4 B
// forward; read 4 + write 2 B backward); TP: all-gather of the input under SP
// (else the backward all-reduce of its input grad).
LayerCost CostModel::Head() const {
  const ModelSpec& m = job_.model;
  const ParallelConfig& p = job_.parallel;
  const auto T = static_cast<int64_t>(TokensPerRank());
  const double Td = static_cast<double>(T), h = m.hidden;
  const double vocab_local = static_cast<double>(PaddedVocab(job_)) / p.tp;
  LayerCost c;
  c.forward = LinearTimes(T, static_cast<int64_t>(vocab_local), m.hidden, &c.backward_input, &c.backward_weight);
  const double sp_div = p.sp ? p.tp : 1.0;
  c.forward.memory_s += MemoryTime(4.0 * Td * h / sp_div + 6.0 * Td * vocab_local);
  c.backward_input.memory_s += MemoryTime(8.0 * Td * h / sp_div + 6.0 * Td * vocab_local);
  if (p.tp > 1) {
    const double b = Td * h * kActBytes;
    if (p.sp) {
      c.forward.tp_comm_s += CollectiveTime(CollectiveOp::kAllGather, b, GroupKind::kTp);
      c.backward_input.tp_comm_s += CollectiveTime(CollectiveOp::kReduceScatter, b, GroupKind::kTp);
    } else {
      c.backward_input.tp_comm_s += CollectiveTime(CollectiveOp::kAllReduce, b, GroupKind::kTp);
    }
  }
  if (p.recompute == Recompute::kFull) c.recompute = c.forward;
  return c;
}

// Megatron sends each TP rank's 1/t of the b·(s/cp)·h activation (scatter-
// gather optimisation, or the SP shard).
int64_t CostModel::P2pBytes() const {
  return static_cast<int64_t>(TokensPerRank() * job_.model.hidden * kActBytes / job_.parallel.tp);
}

double CostModel::P2pTime() const {
  const double send = CollectiveTime(CollectiveOp::kSendRecv, P2pBytes(), GroupKind::kPp);
  if (job_.parallel.tp <= 1 || job_.parallel.sp) return send;
  return send + CollectiveTime(CollectiveOp::kAllGather, static_cast<double>(P2pBytes()) * job_.parallel.tp, GroupKind::kTp);
}

double CostModel::BlockingP2pTime() const {
  const ParallelConfig& p = job_.parallel;
  if (p.overlap_p2p || p.pp <= 1) return 0;
  return (p.schedule == ScheduleKind::kInterleaved ? 0.5 : 1.0) * P2pTime();
}

double CostModel::DpTime(OpKind op, int64_t bytes) const {
  switch (op) {
    case OpKind::kDpAllReduce: return CollectiveTime(CollectiveOp::kAllReduce, bytes, GroupKind::kDp);
    case OpKind::kDpReduceScatter: return CollectiveTime(CollectiveOp::kReduceScatter, bytes, GroupKind::kDp);
    case OpKind::kParamAllGather: return CollectiveTime(CollectiveOp::kAllGather, bytes, GroupKind::kDp);
    default: return 0;
  }
}

int CostModel::GradBytesPerParam() const { return BytesOf(job_.training.precision).gradient; }

// Adam over the parameters this GPU updates (all of its stage's with ZeRO 0,
// 1/dp of them with ZeRO >= 1): gradient read twice (norm for clipping, step),
// master weights (fp32, or the fp32 weights under amp) read + written, m and v
// read + written (16 B), and the 16-bit weight copy written where there is one.
double CostModel::OptimizerTime(int stage) const {
  const StageParams sp = ParamsOnStage(job_, stage);
  const ParallelConfig& p = job_.parallel;
  const double shard = p.zero >= 1 ? p.dp : 1;
  const double params = (sp.dense + sp.expert) / shard;
  const PrecisionBytes pb = BytesOf(job_.training.precision);
  const double per_param = 2.0 * pb.gradient + 8.0 + 16.0 + (job_.training.precision == Precision::kAmp ? 0.0 : pb.weight);
  return MemoryTime(params * per_param);
}

}  // namespace parallax
