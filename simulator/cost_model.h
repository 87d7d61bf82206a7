// Durations of the work one GPU does, from the cluster profile: each layer's
// forward and backward (split into input-grad and weight-grad halves for
// zero-bubble schedules) for one micro-batch on one pipeline stage, the
// embedding and LM head + loss, the p2p activation message, the data-parallel
// gradient reduction and parameter gathers, and the optimizer step.
// GEMMs are timed from the profile's measured GEMM table (log-space nearest
// neighbours) or a roofline with a fixed per-GEMM latency; attention from its
// kernel model; memory-bound ops from bytes over HBM bandwidth; collectives
// from measured bus-bandwidth curves or link bandwidth, on the links the
// group spans (topology.h). Every formula lives in cost_model.cc, once.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cluster.h"
#include "core/config.h"
#include "simulator/program.h"
#include "simulator/topology.h"

namespace parallax {

// Physically meaningful constants that the profile does not carry; the
// defaults are used by Simulate(job). Benchmarks may calibrate them.
struct CostParams {
  // Multiplies the profile's GEMM efficiency (table or gemm_max_efficiency).
  double gemm_efficiency_scale = 1.0;
  // Fixed time of one GEMM kernel beyond its roofline (fallback model only).
  double gemm_latency_s = 5e-6;
  // Flash attention's efficiency relative to a large GEMM (peak x gemm_max_efficiency).
  double flash_attention_relative_efficiency = 0.5;
  // Multiplies memory_bandwidth_efficiency for memory-bound kernels.
  double memory_efficiency_scale = 1.0;
  // Launch / tail overhead of one transformer layer's forward (backward: 2x).
  double layer_overhead_s = 30e-6;
  // Host (CPU) time to issue one layer's forward kernels (backward: 2x). GPU
  // work runs asynchronously, so a pass takes max(GPU time, host time): small
  // layers become launch-bound. 0 = never host-bound.
  double layer_host_s = 0.0;
  // Fixed time per training step outside the pipeline (data loading, logging, syncs).
  double step_overhead_s = 0.0;
};

// Seconds of one pass (forward, backward half, recompute) over some layers for
// one micro-batch on one GPU, by kind.
struct PassTime {
  double gemm_s = 0;        // matrix multiplies (linear layers, MoE experts, LM head)
  double attention_s = 0;   // attention core (flash kernel or score/context GEMMs + softmax)
  double memory_s = 0;      // memory-bound ops: norms, activations, dropout, residual, RoPE, CE, embedding
  double overhead_s = 0;    // kernel launch / tail overhead
  double tp_comm_s = 0;     // tensor-parallel collectives (not overlapped)
  double cp_comm_s = 0;     // context-parallel ring exchange not hidden behind attention
  double ep_comm_s = 0;     // expert-parallel all-to-all
  double pp_comm_s = 0;     // pipeline transfers that block compute (ParallelConfig::overlap_p2p false)

  double compute_s() const { return gemm_s + attention_s + memory_s + overhead_s; }
  double comm_s() const { return tp_comm_s + cp_comm_s + ep_comm_s + pp_comm_s; }
  double total_s() const { return compute_s() + comm_s(); }
  PassTime& operator+=(const PassTime& o);
};
PassTime operator*(double k, const PassTime& t);

// One layer (or a chunk of layers, summed) for one micro-batch. The full
// backward is recompute + backward_input + backward_weight; recompute runs at
// the start of the backward.
struct LayerCost {
  PassTime forward;
  PassTime backward_input;   // input grads: dgrad GEMMs, attention backward, memory-bound backward, TP comm
  PassTime backward_weight;  // weight grads: wgrad GEMMs
  PassTime recompute;        // selective: attention core; full: the whole forward
  LayerCost& operator+=(const LayerCost& o);
  double backward_s() const { return recompute.total_s() + backward_input.total_s() + backward_weight.total_s(); }
};

// nccl-tests bus-bandwidth factor: all-reduce 2(n-1)/n; all-gather,
// reduce-scatter, all-to-all (n-1)/n; send/recv 1.
double BusFactor(CollectiveOp op, int n);

class CostModel {
 public:
  CostModel(const Job& job, const CostParams& params = {});

  const Topology& topology() const { return topology_; }
  const CostParams& params() const { return params_; }

  // C[m,n] = A[m,k] B[k,n] in bf16. Efficiency is the fraction of peak bf16.
  double GemmEfficiency(int64_t m, int64_t n, int64_t k) const;
  double GemmTime(int64_t m, int64_t n, int64_t k) const;
  // Bytes moved by a memory-bound kernel, over hbm_bytes_per_s x efficiency.
  double MemoryTime(double bytes) const;
  // A collective of `bytes` (nccl-tests size: the full buffer) over a group.
  double CollectiveTime(CollectiveOp op, double bytes, const GroupSpan& group) const;
  double CollectiveTime(CollectiveOp op, double bytes, GroupKind group) const {
    return CollectiveTime(op, bytes, topology_.Span(group));
  }

  // Transformer layer `layer` (global index) for one micro-batch.
  LayerCost Layer(int layer) const;
  // Word (+ position) embedding on the first virtual stage.
  LayerCost Embedding() const;
  // Final norm, LM head and cross-entropy loss on the last virtual stage.
  LayerCost Head() const;

  // Activation (= gradient) message between pipeline stages, per GPU.
  int64_t P2pBytes() const;
  // Its transfer: the send of P2pBytes over the pp link, and without sequence
  // parallel the receiver's all-gather of the tp shards (Megatron's scatter-
  // gather optimisation; gather_split_1d_tensor over NVLink).
  double P2pTime() const;
  // With blocking p2p (overlap_p2p false), what each forward that sends on and
  // each backward that sends back carries on the compute stream: P2pTime for
  // 1F1B (one exchange after each pass), half of it for interleaved (one
  // combined exchange per forward + backward pair); 0 when p2p overlaps.
  double BlockingP2pTime() const;
  // A data-parallel instruction (RS / AR / AG) of `bytes` over the dp group.
  double DpTime(OpKind op, int64_t bytes) const;
  // Adam step over this stage's (ZeRO-sharded) optimizer state, memory-bound.
  double OptimizerTime(int stage) const;
  // Gradient bytes per parameter that DP reduces, parameter bytes it gathers.
  int GradBytesPerParam() const;
  int ParamBytesPerParam() const { return 2; }

 private:
  double TokensPerRank() const;  // b x s / cp
  PassTime LinearTimes(int64_t tokens, int64_t out_features, int64_t in_features, PassTime* dgrad,
                       PassTime* wgrad) const;
  PassTime AttentionForward() const;
  PassTime AttentionBackward() const;
  PassTime TpCollectives(int all_reduces_equivalent) const;

  Job job_;
  CostParams params_;
  Topology topology_;
};

}  // namespace parallax
