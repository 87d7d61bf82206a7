// Tests of the schedule generators: every schedule over many (pp, m, vpp) passes
// the checker, runs each (chunk, micro_batch) once per stage, keeps as many
// micro-batches in flight as the closed forms say (GPipe m, 1F1B/ZB-H1
// min(pp - s, m), Megatron interleaved min(2(pp-s-1) + (v-1)pp + 1, m·v)), places
// data-parallel collectives by ZeRO stage, and rejects invalid specs.
#include "simulator/schedule.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"
#include "simulator/program_check.h"
#include "simulator/program_dependencies.h"
#include "simulator/program_inflight.h"
#include "simulator/schedule_order.h"

namespace parallax {
namespace {

ScheduleSpec Spec(ProgramSchedule kind, int pp, int m, int vpp = 1) {
  ScheduleSpec s = PipelineSpec(kind, pp, m, vpp);
  s.p2p_bytes = 8 << 20;
  return s;
}

// All valid (kind, pp, m, vpp) combinations in a range, including m < pp.
std::vector<ScheduleSpec> ManySpecs() {
  std::vector<ScheduleSpec> specs;
  for (int m = 1; m <= 12; ++m) specs.push_back(Spec(ProgramSchedule::kNone, 1, m));
  for (int pp = 1; pp <= 8; ++pp)
    for (int m = 1; m <= 17; ++m) {
      specs.push_back(Spec(ProgramSchedule::kGPipe, pp, m));
      specs.push_back(Spec(ProgramSchedule::k1F1B, pp, m));
      if (pp >= 2) specs.push_back(Spec(ProgramSchedule::kZbH1, pp, m));
      for (int v = 2; v <= 4; ++v)
        if (pp >= 2 && m % pp == 0) specs.push_back(Spec(ProgramSchedule::kInterleaved, pp, m, v));
    }
  return specs;
}

std::string Name(const ScheduleSpec& s) {
  return std::string(ProgramScheduleName(s.kind)) + " pp=" + std::to_string(s.pp) +
         " m=" + std::to_string(s.micro_batches) + " vpp=" + std::to_string(s.vpp);
}

int ExpectedInFlight(const ScheduleSpec& s, int stage) {
  const int m = s.micro_batches, p = s.pp, v = s.vpp;
  switch (s.kind) {
    case ProgramSchedule::kNone: return 1;
    case ProgramSchedule::kGPipe: return m;
    case ProgramSchedule::k1F1B:
    case ProgramSchedule::kZbH1: return std::min(p - stage, m);
    case ProgramSchedule::kInterleaved: return std::min(2 * (p - stage - 1) + (v - 1) * p + 1, m * v);
  }
  return -1;
}

TEST(Schedule, EverySchedulePassesTheChecker) {
  for (const ScheduleSpec& spec : ManySpecs()) {
    const auto programs = GeneratePrograms(spec);
    ASSERT_EQ(static_cast<int>(programs.size()), spec.pp) << Name(spec);
    const CheckResult r = CheckPrograms(programs, spec.vpp, spec.micro_batches);
    EXPECT_TRUE(r.ok) << Name(spec) << "\n" << r.message;
  }
}

TEST(Schedule, EachStageRunsEveryChunkAndMicroBatchOnce) {
  for (const ScheduleSpec& spec : ManySpecs()) {
    for (const Program& p : GeneratePrograms(spec)) {
      std::map<OpKind, int> count;
      for (const Instruction& in : p.instructions) ++count[in.op];
      const int mv = spec.micro_batches * spec.vpp;
      EXPECT_EQ(count[OpKind::kForward], mv) << Name(spec);
      if (spec.kind == ProgramSchedule::kZbH1) {
        EXPECT_EQ(count[OpKind::kBackwardInput], mv) << Name(spec);
        EXPECT_EQ(count[OpKind::kBackwardWeight], mv) << Name(spec);
        EXPECT_EQ(count[OpKind::kBackward], 0) << Name(spec);
      } else {
        EXPECT_EQ(count[OpKind::kBackward], mv) << Name(spec);
      }
      EXPECT_EQ(count[OpKind::kOptimizerStep], 1) << Name(spec);
    }
  }
}

TEST(Schedule, InFlightMicroBatchesMatchClosedForms) {
  for (const ScheduleSpec& spec : ManySpecs()) {
    const auto programs = GeneratePrograms(spec);
    for (int s = 0; s < spec.pp; ++s)
      EXPECT_EQ(CountInFlight(programs[s]).max_activations, ExpectedInFlight(spec, s))
          << Name(spec) << " stage " << s;
  }
}

TEST(Schedule, InterleavedStageZeroKeepsMegatronsActivationFactor) {
  // Korthikanti et al. / Megatron: the first stage holds p·(1 + (p-1)/(p·v))
  // micro-batches' worth of full-stage activations; a chunk is 1/v of the stage.
  for (int p : {2, 4, 8})
    for (int v : {2, 3, 4}) {
      const int m = 4 * p;
      const auto programs = GeneratePrograms(Spec(ProgramSchedule::kInterleaved, p, m, v));
      const double stage_units = CountInFlight(programs[0]).max_activations / static_cast<double>(v);
      EXPECT_DOUBLE_EQ(stage_units, p * (1.0 + (p - 1.0) / (p * v))) << "p=" << p << " v=" << v;
    }
}

TEST(Schedule, ZbH1DefersWeightGradsByStage) {
  // Stage s keeps s weight-grad halves pending between steps (s + 1 right after
  // a BI): the first stage runs each BW right after its BI, like 1F1B.
  const int p = 4, m = 8;
  const auto programs = GeneratePrograms(Spec(ProgramSchedule::kZbH1, p, m));
  for (int s = 0; s < p; ++s)
    EXPECT_EQ(CountInFlight(programs[s]).max_weight_grad_pending, std::min(s + 1, m)) << "stage " << s;
}

TEST(Schedule, OneFOneBWarmupAndOrderOnStageZero) {
  // pp=3, m=4, stage 0: warm-up 2 forwards, then F2 B0 F3 B1, then B2 B3.
  const auto order = ComputeOrder(Spec(ProgramSchedule::k1F1B, 3, 4), 0);
  std::string text;
  for (const ComputeStep& c : order) text += std::string(OpName(c.op)) + std::to_string(c.micro_batch) + " ";
  EXPECT_EQ(text, "F0 F1 F2 B0 F3 B1 B2 B3 ");
}

TEST(Schedule, InterleavedOrderFollowsMegatronGroups) {
  // pp=2, v=2, m=4, stage 1: warm-up (2-1-1)*2 + 1*2 = 2 forwards: c0 mb0, c0 mb1;
  // then forwards continue with chunk 1 (mb0, mb1), backwards start from chunk 1.
  const auto order = ComputeOrder(Spec(ProgramSchedule::kInterleaved, 2, 4, 2), 1);
  ASSERT_EQ(InterleavedWarmupForwards(2, 2, 4, 1), 2);
  std::string text;
  for (const ComputeStep& c : order)
    text += std::string(OpName(c.op)) + "c" + std::to_string(c.chunk) + "m" + std::to_string(c.micro_batch) + " ";
  EXPECT_EQ(text,
            "Fc0m0 Fc0m1 Fc1m0 Bc1m0 Fc1m1 Bc1m1 Fc0m2 Bc0m0 Fc0m3 Bc0m1 Fc1m2 Bc1m2 Fc1m3 Bc1m3 "
            "Bc0m2 Bc0m3 ");
}

// Counts DP instructions of a program by op, and the bytes they move.
struct DpSummary {
  std::map<OpKind, int> count;
  std::map<OpKind, int64_t> bytes;
};
DpSummary Summarize(const Program& p) {
  DpSummary d;
  for (const Instruction& in : p.instructions)
    if (in.stream == Stream::kDataParallel) {
      ++d.count[in.op];
      d.bytes[in.op] += in.bytes;
    }
  return d;
}

ScheduleSpec DpSpec(int zero, bool overlap) {
  ScheduleSpec s = Spec(ProgramSchedule::kInterleaved, 4, 8, 2);
  s.dp = 8;
  s.zero_stage = zero;
  s.overlap_grad_reduce = overlap;
  s.grad_buckets_per_chunk = 3;
  s.grad_bytes_per_chunk = 1000001;  // not divisible by 3: buckets must still sum up
  s.param_bytes_per_chunk = 500002;
  return s;
}

TEST(Schedule, DataParallelCollectivesByZeroStage) {
  for (bool overlap : {false, true})
    for (int zero = 0; zero <= 3; ++zero) {
      const ScheduleSpec spec = DpSpec(zero, overlap);
      const auto programs = GeneratePrograms(spec);
      const CheckResult r = CheckPrograms(programs, spec.vpp, spec.micro_batches);
      ASSERT_TRUE(r.ok) << r.message;
      for (const Program& p : programs) {
        DpSummary d = Summarize(p);
        const OpKind reduce = zero == 0 ? OpKind::kDpAllReduce : OpKind::kDpReduceScatter;
        const OpKind other = zero == 0 ? OpKind::kDpReduceScatter : OpKind::kDpAllReduce;
        // ZeRO-2/3 keep only a gradient shard: every micro-batch's backward reduces.
        const int reductions = zero >= 2 ? spec.micro_batches : 1;
        EXPECT_EQ(d.count[reduce], reductions * spec.vpp * 3) << "zero " << zero;
        EXPECT_EQ(d.bytes[reduce], reductions * spec.vpp * spec.grad_bytes_per_chunk) << "zero " << zero;
        EXPECT_EQ(d.count[other], 0);
        // ZeRO-3: one gather per F and B, the first split into head + rest.
        const int gathers = zero == 1 || zero == 2 ? spec.vpp * 3
                            : zero == 3            ? 2 * spec.vpp * spec.micro_batches + 1
                                                   : 0;
        EXPECT_EQ(d.count[OpKind::kParamAllGather], gathers) << "zero " << zero;
        if (zero == 1 || zero == 2) {
          EXPECT_EQ(d.bytes[OpKind::kParamAllGather], spec.vpp * spec.param_bytes_per_chunk);
        } else if (zero == 3) {
          EXPECT_EQ(d.bytes[OpKind::kParamAllGather], (gathers - 1) * spec.param_bytes_per_chunk);
        }
      }
    }
}

TEST(Schedule, NoDataParallelOpsWithDpOne) {
  ScheduleSpec spec = DpSpec(3, true);
  spec.dp = 1;
  for (const Program& p : GeneratePrograms(spec)) EXPECT_TRUE(Summarize(p).count.empty());
}

TEST(Schedule, OverlappedReductionFollowsItsPartOfTheLastBackward) {
  const ScheduleSpec spec = DpSpec(1, true);
  for (const Program& p : GeneratePrograms(spec)) {
    const auto& ins = p.instructions;
    // Every reduction directly follows the backward part with the same index,
    // of the last micro-batch's backward in its chunk.
    for (size_t i = 0; i < ins.size(); ++i) {
      if (ins[i].op != OpKind::kDpReduceScatter) continue;
      ASSERT_GT(i, 0u);
      const Instruction& b = ins[i - 1];
      EXPECT_EQ(b.op, OpKind::kBackward);
      EXPECT_EQ(b.chunk, ins[i].chunk);
      EXPECT_EQ(b.part, ins[i].bucket);
      EXPECT_EQ(b.num_parts, 3);
      for (size_t j = i + 1; j < ins.size(); ++j)
        EXPECT_FALSE(ins[j].op == OpKind::kBackward && ins[j].chunk == b.chunk && ins[j].micro_batch != b.micro_batch)
            << "a backward of chunk " << b.chunk << " follows its gradient reduction";
    }
    // The step comes after every reduction; ZeRO-1 gathers come after the step.
    const auto opt = std::find_if(ins.begin(), ins.end(),
                                  [](const Instruction& in) { return in.op == OpKind::kOptimizerStep; });
    ASSERT_NE(opt, ins.end());
    for (auto it = opt; it != ins.end(); ++it) EXPECT_NE(it->op, OpKind::kDpReduceScatter);
    for (auto it = ins.begin(); it != opt; ++it) EXPECT_NE(it->op, OpKind::kParamAllGather);
  }
}

TEST(Schedule, ZeroThreeGathersOneComputeAhead) {
  // 1F1B without split backwards: every compute instruction needs the chunk's
  // parameters, so the AG before compute #i gathers for compute #i+1. The very
  // first gather, for compute #0, is split: compute #0 waits for its head (the
  // first layer: 23 of 123 bytes) only; the rest (100 bytes, micro-batch -1)
  // runs under compute #0 on the DP stream, ahead of the gather for #1.
  ScheduleSpec spec = Spec(ProgramSchedule::k1F1B, 3, 5);
  spec.dp = 4;
  spec.zero_stage = 3;
  spec.param_bytes_per_chunk = 123;
  spec.param_bytes_first_gather = 23;
  for (const Program& p : GeneratePrograms(spec)) {
    std::vector<int> compute;
    std::vector<std::pair<int, int>> gathers;  // (AG index, computes before it)
    for (size_t i = 0; i < p.instructions.size(); ++i) {
      const Instruction& in = p.instructions[i];
      if (in.op == OpKind::kParamAllGather) gathers.push_back({static_cast<int>(i), static_cast<int>(compute.size())});
      if (IsComputeOp(in.op)) compute.push_back(static_cast<int>(i));
    }
    ASSERT_EQ(static_cast<int>(gathers.size()), 2 * spec.micro_batches + 1);
    const Instruction& head = p.instructions[gathers[0].first];
    const Instruction& rest = p.instructions[gathers[1].first];
    EXPECT_EQ(head.bytes, 23);
    EXPECT_EQ(head.part, 0);
    EXPECT_EQ(head.num_parts, 2);
    EXPECT_EQ(head.micro_batch, p.instructions[compute[0]].micro_batch);
    EXPECT_EQ(rest.bytes, 100);
    EXPECT_EQ(rest.part, 1);
    EXPECT_EQ(rest.micro_batch, -1);
    EXPECT_LT(gathers[1].first, gathers[2].first);  // ahead of the next gather on the DP stream
    const auto deps = DataDependencies(p);
    const auto& first_deps = deps[compute[0]];
    EXPECT_NE(std::find(first_deps.begin(), first_deps.end(), gathers[0].first), first_deps.end());
    EXPECT_EQ(std::find(first_deps.begin(), first_deps.end(), gathers[1].first), first_deps.end());
    for (size_t k = 2; k < gathers.size(); ++k) {
      const int target = gathers[k].second + 1;
      ASSERT_LT(target, static_cast<int>(compute.size()));
      const Instruction& ag = p.instructions[gathers[k].first];
      EXPECT_EQ(ag.bytes, 123);
      EXPECT_EQ(ag.chunk, p.instructions[compute[target]].chunk);
      EXPECT_EQ(ag.micro_batch, p.instructions[compute[target]].micro_batch);
      const auto& d = deps[compute[target]];
      EXPECT_NE(std::find(d.begin(), d.end(), gathers[k].first), d.end()) << "compute #" << target;
    }
  }
  // Without a first-gather size the head is the whole chunk and the rest empty.
  spec.param_bytes_first_gather = 0;
  const Program p = GeneratePrograms(spec)[0];
  int seen = 0;
  for (const Instruction& in : p.instructions) {
    if (in.op != OpKind::kParamAllGather || seen++ >= 2) continue;
    EXPECT_EQ(in.bytes, seen == 1 ? 123 : 0);
  }
}

TEST(Schedule, InvalidSpecsThrowOneLineNamingTheRule) {
  struct Case {
    ScheduleSpec spec;
    std::string needle;
  };
  std::vector<Case> cases = {
      {Spec(ProgramSchedule::kInterleaved, 4, 6, 2), "multiple of pp"},
      {Spec(ProgramSchedule::k1F1B, 4, 8, 2), "vpp > 1 requires the interleaved"},
      {Spec(ProgramSchedule::kGPipe, 2, 8, 3), "vpp > 1 requires the interleaved"},
      {Spec(ProgramSchedule::kInterleaved, 1, 4, 2), "interleaved schedule requires pp >= 2"},
      {Spec(ProgramSchedule::kInterleaved, 2, 4, 1), "interleaved schedule requires vpp >= 2"},
      {Spec(ProgramSchedule::kZbH1, 1, 4), "zb-h1 schedule requires pp >= 2"},
      {Spec(ProgramSchedule::k1F1B, 0, 4), "pp must be >= 1"},
      {Spec(ProgramSchedule::k1F1B, 2, 0), "micro_batches must be >= 1"},
      {Spec(ProgramSchedule::k1F1B, 2, 2, 0), "vpp must be >= 1"},
      {Spec(ProgramSchedule::kNone, 2, 4), "requires pp = 1"},
      {Spec(ProgramSchedule::k1F1B, 32768, 4), "pp must be <= 32767"},  // Instruction's 16-bit fields
      {Spec(ProgramSchedule::kInterleaved, 2, 4, 32768), "vpp must be <= 32767"},
  };
  ScheduleSpec bad_zero = Spec(ProgramSchedule::k1F1B, 2, 4);
  bad_zero.zero_stage = 4;
  cases.push_back({bad_zero, "zero_stage must be 0, 1, 2 or 3"});
  ScheduleSpec bad_dp = Spec(ProgramSchedule::k1F1B, 2, 4);
  bad_dp.dp = 0;
  cases.push_back({bad_dp, "dp must be >= 1"});
  ScheduleSpec bad_buckets = Spec(ProgramSchedule::k1F1B, 2, 4);
  bad_buckets.grad_buckets_per_chunk = 0;
  cases.push_back({bad_buckets, "grad_buckets_per_chunk must be >= 1"});
  ScheduleSpec many_buckets = Spec(ProgramSchedule::k1F1B, 2, 4);
  many_buckets.grad_buckets_per_chunk = 40000;
  cases.push_back({many_buckets, "grad_buckets_per_chunk must be <= 32767"});
  ScheduleSpec bad_bytes = Spec(ProgramSchedule::k1F1B, 2, 4);
  bad_bytes.p2p_bytes = -1;
  cases.push_back({bad_bytes, "must be >= 0"});
  for (const Case& c : cases) {
    try {
      GeneratePrograms(c.spec);
      ADD_FAILURE() << "no error for " << Name(c.spec) << ", expected '" << c.needle << "'";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.needle), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(Schedule, ProgramScheduleNamesRoundTrip) {
  for (ProgramSchedule k : {ProgramSchedule::kNone, ProgramSchedule::kGPipe, ProgramSchedule::k1F1B,
                         ProgramSchedule::kInterleaved, ProgramSchedule::kZbH1})
    EXPECT_EQ(ParseProgramSchedule(ProgramScheduleName(k)), k);
  EXPECT_THROW(ParseProgramSchedule("pipedream"), std::invalid_argument);
}

}  // namespace
}  // namespace parallax
