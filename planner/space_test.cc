// The enumeration against a flat walk of the same product of dimensions that
// asks core's ValidateJob about every configuration: the same valid
// configurations in the same order, and every other one counted as rejected
// or duplicate.
#include "planner/space.h"

#include <algorithm>
#include <tuple>

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/errors.h"
#include "core/model_io.h"
#include "core/validate.h"
#include "planner/stage_split.h"

namespace parallax {
namespace {

Job SmallJob() {
  Job job;
  job.model = ResolveModel("gpt-tiny");  // 2 layers, 4 heads
  job.model.num_layers = 6;
  job.cluster = ResolveCluster("dgx-a100-80g");
  job.training.global_batch = 16;
  job.training.seq = 64;
  return job;
}

using Key = std::tuple<int, int, int, int, int, int, int, int, bool, int, int, int, int64_t, std::vector<int>>;

Key KeyOfJob(const Job& j) {
  const ParallelConfig& p = j.parallel;
  return {p.gpus(), p.tp, p.pp, p.dp, p.cp, p.ep, p.vpp, p.zero, p.sp, static_cast<int>(p.recompute),
          p.recompute_layers, static_cast<int>(p.schedule), j.training.micro_batch, p.stage_layers};
}

// Same dimension order as EnumerateSpace, but every configuration goes to ValidateJob.
std::vector<Key> FlatValid(const Job& base, const SpaceOptions& o, int64_t* size, int64_t* duplicates) {
  std::vector<Key> out;
  const int L = base.model.num_layers;
  for (int g : o.gpus)
    for (int tp = 1; tp <= o.max_tp; ++tp)
      for (int cp : o.cp)
        for (int pp = 1; pp <= std::min(L, g); ++pp)
          for (int vpp = 1; vpp <= o.max_vpp; ++vpp) {
            std::vector<std::vector<int>> splits = {{}};
            for (auto& s : UnevenStageSplits(L, pp, vpp)) splits.push_back(s);
            for (const auto& split : splits)
              for (int64_t mbs : o.micro_batches)
                for (int zero : o.zero_stages)
                  for (bool sp : o.sequence_parallel)
                    for (Recompute rc : o.recomputes)
                      for (int partial = -1; partial < (rc == Recompute::kFull ? static_cast<int>(o.partial_recompute_layers.size()) : 0); ++partial)
                      for (ScheduleKind s : o.schedules) {
                        ++*size;
                        Job j = base;
                        ParallelConfig& p = j.parallel;
                        p.tp = tp, p.cp = cp, p.pp = pp, p.vpp = vpp, p.zero = zero, p.sp = sp;
                        p.dp = std::max(1, g / (tp * cp * pp));
                        p.recompute = rc, p.schedule = s, p.stage_layers = split;
                        p.recompute_layers = partial < 0 ? 0 : o.partial_recompute_layers[partial];
                        j.training.micro_batch = mbs;
                        if (p.gpus() != g) continue;  // gpus not divisible by tp x pp x cp
                        try {
                          ValidateJob(j);
                        } catch (const SpecError&) {
                          continue;
                        }
                        const auto stages = j.StageLayers();
                        const int min_chunk = *std::min_element(stages.begin(), stages.end()) / vpp;
                        if ((pp == 1 && s == ScheduleKind::kGPipe) || (zero > 0 && p.dp * cp == 1) ||
                            (p.recompute_layers > 0 && p.recompute_layers >= min_chunk)) {
                          ++*duplicates;
                          continue;
                        }
                        out.push_back(KeyOfJob(j));
                      }
          }
  return out;
}

TEST(Space, MatchesValidateJobOnTheFlatProduct) {
  const Job base = SmallJob();
  SpaceOptions o;
  o.gpus = {1, 4, 8, 12};
  o.max_tp = 4;
  o.max_vpp = 3;
  o.cp = {1, 2};
  o.micro_batches = {1, 2, 4};
  const Space space = EnumerateSpace(base, o);
  int64_t size = 0, duplicates = 0;
  const std::vector<Key> want = FlatValid(base, o, &size, &duplicates);
  std::vector<Key> got;
  Job j = base;
  for (const auto& c : space.candidates) {
    ApplyCandidate(space, c, &j);
    got.push_back(KeyOfJob(j));
  }
  ASSERT_GT(want.size(), 100u);
  EXPECT_EQ(got, want);
  EXPECT_EQ(space.size, size);
  int64_t rejected = 0, dups = 0;
  for (const auto& [reason, n] : space.rejected) rejected += n;
  for (const auto& [reason, n] : space.duplicates) dups += n;
  EXPECT_EQ(dups, duplicates);
  EXPECT_EQ(rejected + dups + static_cast<int64_t>(got.size()), size);
  EXPECT_GT(space.rejected.count("--tp: must divide heads, kv_heads and ffn_hidden"), 0u);  // tp 3
  EXPECT_GT(space.rejected.count("--gpus: not divisible by tp x pp x cp"), 0u);

  // A restricted space (Megatron-LM 2021: full recompute, no ZeRO, no sp, 1F1B or interleaved).
  o.zero_stages = {0};
  o.sequence_parallel = {false};
  o.recomputes = {Recompute::kFull};
  o.schedules = {ScheduleKind::k1F1B, ScheduleKind::kInterleaved};
  const Space small = EnumerateSpace(base, o);
  size = duplicates = 0;
  const std::vector<Key> want_small = FlatValid(base, o, &size, &duplicates);
  got.clear();
  for (const auto& c : small.candidates) {
    ApplyCandidate(small, c, &j);
    got.push_back(KeyOfJob(j));
    EXPECT_EQ(c.recompute, Recompute::kFull);
  }
  EXPECT_EQ(got, want_small);
  EXPECT_EQ(small.size, size);

  // Megatron-LM 2021's blocking pipeline exchange: interleaved only from pp 3.
  Job blocking = base;
  blocking.parallel.overlap_p2p = false;
  const Space era = EnumerateSpace(blocking, o);
  size = duplicates = 0;
  const std::vector<Key> want_era = FlatValid(blocking, o, &size, &duplicates);
  got.clear();
  bool interleaved_pp2 = false;
  for (const auto& c : era.candidates) {
    ApplyCandidate(era, c, &j);
    got.push_back(KeyOfJob(j));
    interleaved_pp2 |= c.schedule == ScheduleKind::kInterleaved && c.pp == 2;
  }
  EXPECT_FALSE(interleaved_pp2);
  EXPECT_EQ(got, want_era);
  EXPECT_LT(got.size(), want_small.size());
  EXPECT_GT(era.rejected.count("--schedule: interleaved with blocking p2p needs pp >= 3"), 0u);
}

TEST(Space, UnevenSplitsReachStageCountsThatDoNotDivideTheLayers) {
  Job base = SmallJob();
  SpaceOptions o;
  o.gpus = {4};
  o.max_tp = 1;
  o.cp = {1};
  const Space space = EnumerateSpace(base, o);
  bool pp4 = false;
  for (const auto& c : space.candidates) pp4 |= c.pp == 4;  // 6 layers over 4 stages: only uneven
  EXPECT_TRUE(pp4);
  o.uneven_stages = false;
  for (const auto& c : EnumerateSpace(base, o).candidates) EXPECT_NE(c.pp, 4);
}

TEST(Space, ImpossibleRequestsAreOneLineErrors) {
  const Job base = SmallJob();
  SpaceOptions o;
  o.gpus = {4481};  // dgx-a100-80g has 560 x 8
  try {
    EnumerateSpace(base, o);
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), "--gpus: 4481 is more than cluster dgx-a100-80g has (4480)");
  }
  o.gpus = {};
  EXPECT_THROW(EnumerateSpace(base, o), SpecError);
  o.gpus = {4};
  o.partial_recompute_layers = {2, 0};
  try {
    EnumerateSpace(base, o);
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), "partial recompute layers: must be >= 1, got 0");
  }
}

}  // namespace
}  // namespace parallax
