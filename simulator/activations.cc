// Term-by-term activation bytes. With dropout > 0, GELU, FFN = 4h, MHA,
// unfused attention and bf16 this reduces exactly to Korthikanti Table 2:
// sbh(34 + 5as/h) with no parallelism, sbh(10 + 24/t + 5as/ht) with TP,
// sbh/t (34 + 5as/h) with TP + SP, selective recompute dropping the 5as/h
// term, and 2sbh per layer under full recompute (checked in the tests).
#include "simulator/activations.h"

#include <algorithm>

namespace parallax {

namespace {

// Calls add(name, bytes) for each term of layer `layer` kept under `recompute`
// (one definition for the named terms and the string-free byte count).
template <typename Add>
void ForEachActivationTerm(const Job& job, int layer, Recompute recompute, Add&& add_term) {
  const ModelSpec& m = job.model;
  const ParallelConfig& p = job.parallel;
  const double t = p.tp;
  const double s = static_cast<double>(job.training.seq) / p.cp;  // tokens per context-parallel rank
  const double b = static_cast<double>(job.training.micro_batch);
  const double h = m.hidden, a = m.heads;
  const double sb = s * b;
  const double sp = p.sp ? t : 1;  // what SP divides (the parts outside the TP regions)
  const bool dropout = m.dropout > 0;
  const bool amp = job.training.precision == Precision::kAmp;
  auto add = [&](const char* name, double bytes) {
    if (bytes > 0) add_term(name, bytes);
  };

  if (job.training.activation_layout == ActivationLayout::kParallaxGpu) {
    // runtime/gpu/gpt_model.cc's LayerActs (bf16 unless noted; norm outputs
    // are recomputed into one shared buffer, flash attention, no dropout).
    const double stats = m.norm == Norm::kLayerNorm ? 2 : 1;  // mean + rstd, or rstd
    add("residual stream (layer input + after attention)", 2 * 2 * sb * h);
    add("norm statistics (fp32, both norms)", 2 * stats * 4 * sb);
    add("Q, K, V (after RoPE)", 2 * sb * (m.q_width() + 2 * m.kv_width()));
    add("attention output", 2 * sb * m.q_width());
    add("flash softmax statistics (fp32)", 4 * sb * a);
    add("MLP up-projection output", 2 * sb * (m.activation == Activation::kSwiGlu ? 2 : 1) * m.ffn_hidden);
    return;
  }
  if (recompute == Recompute::kFull) {
    // Only the layer input is kept (sharded by SP); the rest is rebuilt.
    add("layer input (full recompute)", (amp ? 4 : 2) * sb * h / sp);
    return;
  }
  // Norm inputs: bf16 in Megatron; fp32 residual stream under autocast.
  const double norm_in = (amp ? 4 : 2) * sb * h / sp;
  add("attention norm input", norm_in);
  add("QKV GEMM input", 2 * sb * h / sp);
  const double q = m.q_width(), kv = m.kv_width();
  const bool core_kept = p.attention == AttentionKernel::kUnfused && recompute == Recompute::kNone;
  add("Q, K (scores GEMM inputs)", 2 * sb * (q + kv) / t);
  add("V (context GEMM input)", 2 * sb * kv / t);
  if (core_kept) {
    // Scores: every local query against the keys it attends to (s per rank
    // without CP; ring attention with CP visits all s*cp keys).
    const double keys = s * p.cp;
    add("softmax output", 2 * a * s * keys * b / t);
    if (dropout) {
      add("attention dropout mask", a * s * keys * b / t);
      add("attention dropout output", 2 * a * s * keys * b / t);
    }
  } else if (p.attention == AttentionKernel::kFlash) {
    add("flash softmax statistics (fp32)", 4 * sb * a / t);
  }
  add("output projection input", 2 * sb * q / t);
  if (amp) add("attention output copy for the projection (autocast)", 2 * sb * q / t);
  if (dropout) add("attention-out dropout mask", sb * h / sp);
  add("MLP norm input", norm_in);

  // MLP (dense, or the routed experts plus shared experts of an MoE layer).
  auto mlp = [&](double f, double copies, const char* in, const char* up, const char* act) {
    add(in, copies * 2 * sb * h / (copies == 1 ? sp : 1));
    const double up_width = m.activation == Activation::kSwiGlu ? 2 * f : f;  // gate + up
    add(up, copies * 2 * sb * up_width / t);
    add(act, copies * 2 * sb * f / t);
  };
  if (m.IsMoeLayer(layer)) {
    add("router logits (fp32)", 4 * sb * m.moe.num_experts / sp);
    // Each token visits top_k experts; with EP the tokens move, their number per rank does not.
    mlp(static_cast<double>(m.moe.expert_ffn_hidden), m.moe.top_k, "expert inputs (routed tokens)",
        "expert up-projection outputs", "expert activation outputs");
    if (m.moe.shared_experts > 0) {
      mlp(static_cast<double>(m.moe.expert_ffn_hidden) * m.moe.shared_experts, 1, "shared expert input",
          "shared expert up-projection output", "shared expert activation output");
    }
  } else {
    mlp(static_cast<double>(m.ffn_hidden), 1, "MLP up-projection input", "MLP up-projection output",
        "MLP activation output");
  }
  if (dropout) add("MLP dropout mask", sb * h / sp);
}

// The terms' sum, added in the order LayerActivationTerms lists them.
double ActivationBytes(const Job& job, int layer, Recompute recompute) {
  double total = 0;
  ForEachActivationTerm(job, layer, recompute, [&](const char*, double bytes) { total += bytes; });
  return total;
}

}  // namespace

std::vector<ActivationTerm> LayerActivationTerms(const Job& job, int layer) {
  std::vector<ActivationTerm> terms;
  ForEachActivationTerm(job, layer, job.parallel.recompute,
                        [&](const char* name, double bytes) { terms.push_back({name, bytes}); });
  return terms;
}

double LayerActivationBytes(const Job& job, int layer) { return ActivationBytes(job, layer, job.parallel.recompute); }

double LayerActivationBytes(const Job& job, int layer, Recompute recompute) { return ActivationBytes(job, layer, recompute); }

double RecomputeWorkingSetBytes(const Job& job, int layer) {
  if (job.parallel.recompute != Recompute::kFull) return 0;
  return ActivationBytes(job, layer, Recompute::kNone);
}

double InflightMicroBatches(const ParallelConfig& p, int64_t micro_batches, int stage) {
  const double m = static_cast<double>(micro_batches);
  if (p.pp == 1) return 1;
  switch (p.schedule) {
    case ScheduleKind::kGPipe: return m;
    case ScheduleKind::k1F1B:
    case ScheduleKind::kZbH1: return std::min<double>(p.pp - stage, m);
    case ScheduleKind::kInterleaved: {
      const double chunks = std::min<double>(m * p.vpp, 2.0 * (p.pp - stage - 1) + (p.vpp - 1.0) * p.pp + 1);
      return chunks / p.vpp;
    }
  }
  return 1;
}

}  // namespace parallax
