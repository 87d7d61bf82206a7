// The configuration rules. Names in messages are the CLI flags (the same
// names as the plan.json "parallel" / "training" keys).
#include "core/validate.h"

#include <numeric>

#include "core/errors.h"

namespace parallax {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

[[noreturn]] void Fail(const std::string& field, const std::string& rule) {
  throw SpecError("--" + field + ": " + rule);
}

void CheckPositive(const std::string& field, int64_t v) {
  if (v < 1) Fail(field, "must be a positive integer, got " + S(v));
}

}  // namespace

std::vector<std::string> ValidateJob(const Job& job) {
  const ModelSpec& m = job.model;
  const TrainingConfig& t = job.training;
  const ParallelConfig& p = job.parallel;
  std::vector<std::string> warnings;

  CheckPositive("tp", p.tp);
  CheckPositive("pp", p.pp);
  CheckPositive("dp", p.dp);
  CheckPositive("cp", p.cp);
  CheckPositive("ep", p.ep);
  CheckPositive("vpp", p.vpp);
  CheckPositive("gbs", t.global_batch);
  CheckPositive("mbs", t.micro_batch);
  CheckPositive("seq", t.seq);
  if (p.zero < 0 || p.zero > 3) Fail("zero", "must be 0, 1, 2 or 3, got " + S(p.zero));

  // Tensor parallel shards heads, KV groups and FFN columns.
  if (m.heads % p.tp) Fail("tp", "must divide the number of attention heads (" + S(m.heads) + "), got " + S(p.tp));
  if (m.kv_heads % p.tp) {
    Fail("tp", "must divide the number of KV heads (" + S(m.kv_heads) + ", grouped-query attention), got " + S(p.tp));
  }
  if (m.ffn_hidden % p.tp) Fail("tp", "must divide ffn_hidden (" + S(m.ffn_hidden) + "), got " + S(p.tp));
  if (p.sp && p.tp == 1) Fail("sp", "sequence parallel needs --tp > 1");

  // Sequence and context parallel.
  if (t.seq > m.max_seq) Fail("seq", "must be at most the model's max_seq (" + S(m.max_seq) + "), got " + S(t.seq));
  if (p.cp > 1 && t.seq % (2 * p.cp)) {
    Fail("cp", "sequence (" + S(t.seq) + ") must be divisible by 2 x cp (load-balanced causal context parallel)");
  }
  if (p.sp && (t.seq / p.cp) % p.tp) Fail("sp", "sequence per context rank must be divisible by --tp");

  if (p.recompute_layers < 0) Fail("recompute-layers", "must be >= 0");
  if (p.recompute_layers > 0 && p.recompute != Recompute::kFull) {
    Fail("recompute-layers", "recomputes some layers of each chunk in full: needs --recompute full");
  }

  // Pipeline: layers over pp x vpp, schedules.
  if (p.vpp > 1 && p.schedule != ScheduleKind::kInterleaved) {
    Fail("vpp", "virtual stages need --schedule interleaved");
  }
  if (p.schedule == ScheduleKind::kInterleaved && (p.pp < 2 || p.vpp < 2)) {
    Fail("schedule", "interleaved needs --pp >= 2 and --vpp >= 2");
  }
  // Megatron-LM: a blocking exchange batches the sends and receives of both
  // directions, and with pp 2 both neighbours are the same rank.
  if (p.schedule == ScheduleKind::kInterleaved && !p.overlap_p2p && p.pp < 3) {
    Fail("schedule", "interleaved with blocking p2p (overlap_p2p false) needs --pp >= 3");
  }
  if (p.schedule == ScheduleKind::kZbH1 && p.pp < 2) Fail("schedule", "zb-h1 needs --pp >= 2");
  if (p.stage_layers.empty()) {
    if (m.num_layers % (p.pp * p.vpp)) {
      Fail("pp", "layers (" + S(m.num_layers) + ") must split evenly over pp x vpp (" + S(p.pp * p.vpp) +
                     "); give an explicit --stage-layers map for an uneven split");
    }
  } else {
    if (static_cast<int>(p.stage_layers.size()) != p.pp) {
      Fail("stage-layers", "must list one layer count per pipeline stage (" + S(p.pp) + "), got " +
                               S(p.stage_layers.size()));
    }
    const int sum = std::accumulate(p.stage_layers.begin(), p.stage_layers.end(), 0);
    if (sum != m.num_layers) Fail("stage-layers", "must add up to the model's layers (" + S(m.num_layers) + "), got " + S(sum));
    for (size_t s = 0; s < p.stage_layers.size(); ++s) {
      if (p.stage_layers[s] < 0) Fail("stage-layers", "stage " + S(s) + " has a negative layer count");
      if (p.stage_layers[s] % p.vpp) {
        Fail("stage-layers", "stage " + S(s) + "'s layers (" + S(p.stage_layers[s]) + ") must split evenly into vpp (" +
                                 S(p.vpp) + ") chunks");
      }
    }
  }
  if (p.zero >= 2 && p.pp > 1) {
    Fail("zero", "ZeRO-2/3 shard the gradients that pipeline gradient accumulation keeps; use --zero 0 or 1 with --pp > 1");
  }

  // Batch.
  if (t.global_batch % (t.micro_batch * p.dp)) {
    Fail("gbs", "global batch (" + S(t.global_batch) + ") must be divisible by dp x mbs (" + S(p.dp) + " x " +
                    S(t.micro_batch) + ")");
  }
  const int64_t m_count = t.global_batch / (t.micro_batch * p.dp);
  if (p.schedule == ScheduleKind::kInterleaved && m_count % p.pp) {
    Fail("gbs", "interleaved schedule needs micro-batches per step (" + S(m_count) + ") divisible by pp (" + S(p.pp) + ")");
  }

  // Experts.
  if (p.ep > 1 && !m.moe.enabled()) Fail("ep", "expert parallel needs an MoE model");
  if (m.moe.enabled()) {
    if (m.moe.num_experts % p.ep) Fail("ep", "must divide the number of experts (" + S(m.moe.num_experts) + "), got " + S(p.ep));
    if ((p.dp * p.cp) % p.ep) Fail("ep", "must divide dp x cp (" + S(p.dp * p.cp) + "): expert parallel ranks come out of data parallel");
  }

  // The GPU runtime's activation layout describes only what that runtime runs.
  if (t.activation_layout == ActivationLayout::kParallaxGpu &&
      (p.tp > 1 || p.pp > 1 || p.cp > 1 || p.ep > 1 || p.recompute != Recompute::kNone)) {
    Fail("plan", "training.activation_layout: parallax-gpu describes the gpu backend, which runs tp = pp = cp = ep = 1 "
                 "and recompute none");
  }

  // Cluster.
  if (p.gpus() > job.cluster.max_gpus()) {
    Fail("gpus", "tp x pp x dp x cp = " + S(p.gpus()) + " is more than cluster " + job.cluster.name + " has (" +
                     S(job.cluster.max_gpus()) + ")");
  }
  if (p.tp > job.cluster.gpus_per_node) {
    warnings.push_back("tp " + S(p.tp) + " spans more than one node (" + S(job.cluster.gpus_per_node) +
                       " GPUs per node): tensor-parallel collectives will cross the network");
  }
  return warnings;
}

}  // namespace parallax
