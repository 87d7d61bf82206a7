// Enumeration of the plan space with subtree rejection counts.
#include "planner/space.h"

#include <algorithm>

#include "core/errors.h"
#include "core/validate.h"
#include "planner/stage_split.h"

namespace parallax {
namespace {

// Rules, in the order the enumeration meets them (outermost dimension first).
enum Reason {
  kTpDivides, kCpSeq, kGpusSplit, kGbsDp, kPpEven, kEpDpCp, kGbsMbs, kZeroPp, kSpTp, kSpSeq,
  kVppSchedule, kInterleavedNeeds, kInterleavedBlocking, kZbNeedsPp, kInterleavedMicroBatches, kNumReasons
};
const char* kReasonText[kNumReasons] = {
    "--tp: must divide heads, kv_heads and ffn_hidden",
    "--cp: sequence must be divisible by 2 x cp",
    "--gpus: not divisible by tp x pp x cp",
    "--gbs: global batch not divisible by dp",
    "--pp: layers do not split evenly over pp x vpp",
    "--ep: must divide dp x cp",
    "--gbs: global batch not divisible by dp x mbs",
    "--zero: ZeRO-2/3 with pp > 1",
    "--sp: needs tp > 1",
    "--sp: sequence per context rank not divisible by tp",
    "--vpp: virtual stages need the interleaved schedule",
    "--schedule: interleaved needs pp >= 2 and vpp >= 2",
    "--schedule: interleaved with blocking p2p needs pp >= 3",
    "--schedule: zb-h1 needs pp >= 2",
    "--gbs: interleaved needs micro-batches divisible by pp",
};
enum Duplicate { kPp1Gpipe, kZeroNoDp, kPartialIsFull, kNumDuplicates };
const char* kDuplicateText[kNumDuplicates] = {
    "pp 1: gpipe is 1f1b",
    "dp x cp 1: ZeRO stage shards nothing",
    "partial recompute covering every layer of a chunk is full recompute",
};

// The recompute dimension: each recompute kind, and after full recompute its
// partial variants (the first N layers of each chunk).
struct RecomputeOption {
  Recompute kind;
  int layers;  // 0: every layer
};
std::vector<RecomputeOption> RecomputeOptions(const SpaceOptions& o) {
  std::vector<RecomputeOption> out;
  for (Recompute rc : o.recomputes) {
    out.push_back({rc, 0});
    if (rc == Recompute::kFull)
      for (int n : o.partial_recompute_layers) out.push_back({rc, n});
  }
  return out;
}


}  // namespace

Space EnumerateSpace(const Job& base, const SpaceOptions& o) {
  const ModelSpec& model = base.model;
  const TrainingConfig& t = base.training;
  if (o.gpus.empty()) throw SpecError("--gpus: required (a count N or a range A-B)");
  for (int g : o.gpus) {
    if (g < 1) throw SpecError("--gpus: must be a positive integer, got " + std::to_string(g));
    if (g > base.cluster.max_gpus()) {
      throw SpecError("--gpus: " + std::to_string(g) + " is more than cluster " + base.cluster.name + " has (" +
                      std::to_string(base.cluster.max_gpus()) + ")");
    }
  }
  {  // Training-level rules (batch, sequence) before anything is split.
    Job probe = base;
    probe.parallel = ParallelConfig();
    probe.training.micro_batch = 1;
    ValidateJob(probe);
  }

  const int L = model.num_layers;
  const int max_g = *std::max_element(o.gpus.begin(), o.gpus.end());
  const int max_tp = o.max_tp > 0 ? o.max_tp : std::max(1, base.cluster.gpus_per_node);
  const int max_pp = std::min(L, max_g);
  std::vector<int> eps = {1};
  if (model.moe.enabled()) {
    eps.clear();
    for (int e = 1; e <= model.moe.num_experts; ++e)
      if (model.moe.num_experts % e == 0) eps.push_back(e);
  }
  const int64_t n_ep = eps.size(), n_mbs = o.micro_batches.size();
  for (int n : o.partial_recompute_layers)
    if (n < 1) throw SpecError("partial recompute layers: must be >= 1, got " + std::to_string(n));
  const std::vector<RecomputeOption> recompute_options = RecomputeOptions(o);
  const int64_t per_sp = static_cast<int64_t>(recompute_options.size()) * o.schedules.size();
  const int64_t per_zero = static_cast<int64_t>(o.sequence_parallel.size()) * per_sp;
  const int64_t per_micro_batch = static_cast<int64_t>(o.zero_stages.size()) * per_zero;
  const int64_t per_split = n_ep * n_mbs * per_micro_batch;

  Space space;
  // split_ids[pp][vpp]: -1 (even) then the uneven maps' indices.
  std::vector<std::vector<std::vector<int>>> split_ids(max_pp + 1, std::vector<std::vector<int>>(o.max_vpp + 1));
  std::vector<int64_t> inner(max_pp + 1, 0);      // configurations under one (gpus, tp, cp, pp)
  std::vector<int64_t> inner_upto(max_pp + 1, 0);  // summed over pp' <= pp
  for (int pp = 1; pp <= max_pp; ++pp) {
    for (int vpp = 1; vpp <= o.max_vpp; ++vpp) {
      auto& ids = split_ids[pp][vpp];
      ids.push_back(-1);
      if (o.uneven_stages) {
        for (auto& s : UnevenStageSplits(L, pp, vpp)) {
          ids.push_back(static_cast<int>(space.splits.size()));
          space.splits.push_back(std::move(s));
        }
      }
      inner[pp] += static_cast<int64_t>(ids.size()) * per_split;
    }
    inner_upto[pp] = inner_upto[pp - 1] + inner[pp];
  }

  int64_t rejected[kNumReasons] = {};
  int64_t duplicates[kNumDuplicates] = {};
  for (int g : o.gpus) {
    const int g_max_pp = std::min(L, g);
    const int64_t per_cp = inner_upto[g_max_pp];  // stages never outnumber GPUs or layers
    for (int tp = 1; tp <= max_tp; ++tp) {
      space.size += per_cp * o.cp.size();
      if (model.heads % tp || model.kv_heads % tp || model.ffn_hidden % tp) {
        rejected[kTpDivides] += per_cp * o.cp.size();
        continue;
      }
      for (int cp : o.cp) {
        if (cp > 1 && t.seq % (2 * cp)) {
          rejected[kCpSeq] += per_cp;
          continue;
        }
        for (int pp = 1; pp <= g_max_pp; ++pp) {
          const int64_t split = static_cast<int64_t>(tp) * cp * pp;
          if (g % split) {
            rejected[kGpusSplit] += inner[pp];
            continue;
          }
          const int dp = static_cast<int>(g / split);
          if (t.global_batch % dp) {
            rejected[kGbsDp] += inner[pp];
            continue;
          }
          for (int vpp = 1; vpp <= o.max_vpp; ++vpp) {
            for (int split_id : split_ids[pp][vpp]) {
              if (split_id < 0 && L % (pp * vpp)) {
                rejected[kPpEven] += per_split;
                continue;
              }
              const int min_chunk =
                  (split_id < 0 ? L / pp
                                : *std::min_element(space.splits[split_id].begin(), space.splits[split_id].end())) /
                  vpp;
              for (int ep : eps) {
                if ((dp * cp) % ep) {
                  rejected[kEpDpCp] += n_mbs * per_micro_batch;
                  continue;
                }
                for (int64_t mbs : o.micro_batches) {
                  if (t.global_batch % (dp * mbs)) {
                    rejected[kGbsMbs] += per_micro_batch;
                    continue;
                  }
                  const int64_t micro_batches = t.global_batch / (dp * mbs);
                  for (int zero : o.zero_stages) {
                    if (zero >= 2 && pp > 1) {
                      rejected[kZeroPp] += per_zero;
                      continue;
                    }
                    for (bool sp : o.sequence_parallel) {
                      if (sp && tp == 1) {
                        rejected[kSpTp] += per_sp;
                        continue;
                      }
                      if (sp && (t.seq / cp) % tp) {
                        rejected[kSpSeq] += per_sp;
                        continue;
                      }
                      for (const RecomputeOption& rc : recompute_options) {
                        for (ScheduleKind sched : o.schedules) {
                          const bool interleaved = sched == ScheduleKind::kInterleaved;
                          if (vpp > 1 && !interleaved) {
                            ++rejected[kVppSchedule];
                          } else if (interleaved && (pp < 2 || vpp < 2)) {
                            ++rejected[kInterleavedNeeds];
                          } else if (interleaved && !base.parallel.overlap_p2p && pp < 3) {
                            ++rejected[kInterleavedBlocking];
                          } else if (sched == ScheduleKind::kZbH1 && pp < 2) {
                            ++rejected[kZbNeedsPp];
                          } else if (interleaved && micro_batches % pp) {
                            ++rejected[kInterleavedMicroBatches];
                          } else if (pp == 1 && sched == ScheduleKind::kGPipe) {
                            ++duplicates[kPp1Gpipe];
                          } else if (zero > 0 && dp * cp == 1) {
                            ++duplicates[kZeroNoDp];
                          } else if (rc.layers > 0 && rc.layers >= min_chunk) {
                            ++duplicates[kPartialIsFull];
                          } else {
                            Candidate c;
                            c.gpus = g, c.tp = tp, c.pp = pp, c.dp = dp, c.cp = cp, c.ep = ep, c.vpp = vpp;
                            c.zero = zero, c.sp = sp, c.recompute = rc.kind, c.recompute_layers = rc.layers;
                            c.schedule = sched;
                            c.micro_batch = mbs, c.split = split_id;
                            space.candidates.push_back(c);
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  for (int r = 0; r < kNumReasons; ++r) {
    if (!rejected[r]) continue;
    space.rejected[kReasonText[r]] = rejected[r];
    space.innermost_rejection = kReasonText[r];
  }
  for (int d = 0; d < kNumDuplicates; ++d)
    if (duplicates[d]) space.duplicates[kDuplicateText[d]] = duplicates[d];
  return space;
}

void ApplyCandidate(const Space& space, const Candidate& c, Job* job) {
  ParallelConfig& p = job->parallel;
  p.tp = c.tp, p.pp = c.pp, p.dp = c.dp, p.cp = c.cp, p.ep = c.ep, p.vpp = c.vpp, p.zero = c.zero, p.sp = c.sp;
  p.recompute = c.recompute;
  p.recompute_layers = c.recompute_layers;
  p.schedule = c.schedule;
  if (c.split < 0) {
    p.stage_layers.clear();
  } else {
    p.stage_layers = space.splits[c.split];
  }
  job->training.micro_batch = c.micro_batch;
}

}  // namespace parallax
