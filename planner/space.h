// The plan space: every combination of GPU count, tp, cp, pp (dp follows),
// virtual stages, layer-to-stage split, ep, micro-batch, ZeRO stage, sequence
// parallel, recompute and schedule. Enumeration checks core/validate.cc's rules
// from the outermost dimension inwards, so a rule that fails early rejects the
// whole subtree under it at once — counted by reason, never silently dropped.
// Symmetric duplicates (pp 1: gpipe = 1f1b; dp x cp = 1: ZeRO shards nothing;
// partial recompute covering whole chunks = full) are counted and dropped too.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"

namespace parallax {

struct SpaceOptions {
  std::vector<int> gpus;                              // GPU counts to try (required)
  std::vector<int> cp = {1, 2, 4, 8, 16};
  std::vector<int64_t> micro_batches = {1, 2, 4, 8, 16};
  int max_tp = 0;    // 0: the cluster's GPUs per node
  int max_vpp = 8;
  bool uneven_stages = true;
  // Restrictions, e.g. to what a framework version supports (the defaults are everything).
  std::vector<int> zero_stages = {0, 1, 2, 3};
  std::vector<bool> sequence_parallel = {false, true};
  std::vector<Recompute> recomputes = {Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  // With full recompute in `recomputes`, also full recompute of only the first
  // N layers of each chunk (ParallelConfig::recompute_layers) for these N; an N
  // that covers every layer of the smallest chunk is full recompute (a duplicate).
  std::vector<int> partial_recompute_layers = {1, 2, 4};
  std::vector<ScheduleKind> schedules = {ScheduleKind::kGPipe, ScheduleKind::k1F1B, ScheduleKind::kInterleaved,
                                         ScheduleKind::kZbH1};
};

// One configuration, compactly (stage map by index into Space::splits).
struct Candidate {
  int gpus = 0, tp = 1, pp = 1, dp = 1, cp = 1, ep = 1, vpp = 1, zero = 0;
  bool sp = false;
  Recompute recompute = Recompute::kNone;
  int recompute_layers = 0;  // full recompute of the first N layers per chunk (0: all)
  ScheduleKind schedule = ScheduleKind::k1F1B;
  int64_t micro_batch = 1;
  int split = -1;  // -1: even split; else index into Space::splits
};

struct Space {
  std::vector<Candidate> candidates;          // valid, in a fixed canonical order
  std::vector<std::vector<int>> splits;       // uneven stage maps the candidates refer to
  std::map<std::string, int64_t> rejected;    // configurations the rules reject, by rule
  std::map<std::string, int64_t> duplicates;  // symmetric duplicates dropped, by kind
  int64_t size = 0;                           // every configuration of the space
  // The innermost rule that rejected anything: when nothing is valid, the
  // rule that stopped the configurations that came closest.
  std::string innermost_rejection;
};

// Throws SpecError for impossible requests (more GPUs than the cluster has,
// sequence longer than the model's).
Space EnumerateSpace(const Job& base, const SpaceOptions& options);

// Writes the candidate's split and micro-batch into `job` (model, cluster and
// the rest of training stay as they are).
void ApplyCandidate(const Space& space, const Candidate& c, Job* job);

}  // namespace parallax
