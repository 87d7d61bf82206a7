// Simulate() end to end: the breakdown adds up to the step time; MFU follows
// its definition (CountFlops over gpus x peak); with one stage and no
// communication the step is m x (F + B) + optimizer exactly; the lower bound
// never exceeds the simulated step time on a sweep of configurations; more
// micro-batches shrink the 1F1B bubble as (p-1)/(m+p-1).
#include "simulator/simulate.h"

#include <utility>

#include <gtest/gtest.h>

#include "core/test_job.h"

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "simulator/memory_model.h"

namespace parallax {
namespace {

TEST(Simulate, SingleGpuIsMicroBatchesTimesLayerCostsPlusOptimizer) {
  const Job j = MakeJob("gpt-350m", "dgx-a100-80g", 1, 1, 1, 8, 2, 1024);
  const SimResult r = Simulate(j);
  const CostModel cm(j);
  LayerCost chunk;
  for (int l = 0; l < j.model.num_layers; ++l) chunk += cm.Layer(l);
  chunk += cm.Embedding();
  chunk += cm.Head();
  const double expect = 4 * (chunk.forward.total_s() + chunk.backward_s()) + cm.OptimizerTime(0);
  EXPECT_NEAR(r.step_time_s, expect, expect * 1e-9);
  EXPECT_NEAR(r.breakdown.bubble_s, 0, 1e-12);
  EXPECT_NEAR(r.breakdown.total_s(), r.step_time_s, r.step_time_s * 1e-9);
  const double flops = CountFlops(j.model, 1024).model_per_token() * 8 * 1024;
  EXPECT_NEAR(r.mfu, flops / (r.step_time_s * 312e12), 1e-12);
  EXPECT_NEAR(r.tokens_per_s, 8 * 1024 / r.step_time_s, 1e-6);
}

TEST(Simulate, BreakdownAddsUpWithAllParallelisms) {
  Job j = MakeJob("llama2-7b", "dgx-h100", 2, 4, 4, 64, 1, 4096);
  j.parallel.sp = true;
  j.parallel.zero = 1;
  j.parallel.recompute = Recompute::kSelective;
  for (auto sched : {ScheduleKind::k1F1B, ScheduleKind::kGPipe, ScheduleKind::kZbH1, ScheduleKind::kInterleaved}) {
    j.parallel.schedule = sched;
    j.parallel.vpp = sched == ScheduleKind::kInterleaved ? 2 : 1;
    const SimResult r = Simulate(j);
    EXPECT_NEAR(r.breakdown.total_s(), r.step_time_s, r.step_time_s * 1e-9) << NameOf(ScheduleNames(), sched);
    EXPECT_GT(r.breakdown.tp_comm_s, 0);
    EXPECT_GT(r.breakdown.recompute_s, 0);
    EXPECT_GT(r.hfu, r.mfu);
    EXPECT_GT(r.breakdown.bubble_s, 0);
  }
}

TEST(Simulate, ShardedGradientsAreReducedEveryMicroBatch) {
  // dp 8, 4 micro-batches: ZeRO-1 reduce-scatters the gradients once and
  // gathers the parameters once (RS + AG on the DP stream); ZeRO-2 keeps only
  // its gradient shard, so every micro-batch's backward reduce-scatters
  // (4 RS + AG), and the DP stream is busy 4 RS - RS = 3 RS longer.
  Job j = MakeJob("gpt-350m", "dgx-a100-80g", 1, 1, 8, 32, 1, 1024);
  auto dp_busy = [](const SimResult& r) {
    double busy = 0, rs = 0;
    const Program program = r.ProgramOf(0);
    const auto& ins = program.instructions;
    for (int i = 0; i < static_cast<int>(ins.size()); ++i) {
      if (ins[i].stream != Stream::kDataParallel) continue;
      const double d = r.timeline.end_s(0, i) - r.timeline.start_s(0, i);
      busy += d;
      if (ins[i].op == OpKind::kDpReduceScatter) rs += d;
    }
    return std::make_pair(busy, rs);
  };
  j.parallel.zero = 1;
  const auto [zero1, rs1] = dp_busy(Simulate(j));
  j.parallel.zero = 2;
  const auto [zero2, rs2] = dp_busy(Simulate(j));
  ASSERT_GT(rs1, 0);
  EXPECT_NEAR(rs2, 4 * rs1, 1e-9 * rs2);
  EXPECT_NEAR(zero2 - zero1, 3 * rs1, 1e-9 * zero2);
}

TEST(Simulate, ZeroThreeWaitsOnlyForTheFirstLayersGatherAtTheStart) {
  // ZeRO-3, pp 1, dp 8: the first forward starts once its head gather (the
  // embedding and the first layer, as FSDP / DeepSpeed gather layer by layer)
  // is done, not the whole model's; the rest of that gather (sized so that the
  // two add up to the model's parameters) runs under the forward.
  Job j = MakeJob("gpt-350m", "dgx-a100-80g", 1, 1, 8, 32, 1, 1024);
  j.parallel.zero = 3;
  const SimResult r = Simulate(j);
  const Program program = r.ProgramOf(0);
  const auto& ins = program.instructions;
  int first_compute = -1, head = -1, rest = -1;
  for (int i = 0; i < static_cast<int>(ins.size()) && first_compute < 0; ++i) {
    if (ins[i].op == OpKind::kParamAllGather && ins[i].num_parts == 2) (ins[i].part == 0 ? head : rest) = i;
    if (IsComputeOp(ins[i].op)) first_compute = i;
  }
  ASSERT_GE(head, 0);
  ASSERT_GE(rest, 0);
  const StageParams sp = ParamsOnStage(j, 0);
  EXPECT_EQ(ins[head].bytes, static_cast<int64_t>((sp.largest_layer + sp.embedding) * 2));
  EXPECT_EQ(ins[head].bytes + ins[rest].bytes, static_cast<int64_t>((sp.dense + sp.expert) * 2));
  const CostModel cm(j);
  const double head_s = cm.DpTime(OpKind::kParamAllGather, ins[head].bytes);
  EXPECT_NEAR(r.timeline.start_s(0, first_compute), head_s, 1e-12);
  EXPECT_LT(head_s, 0.25 * cm.DpTime(OpKind::kParamAllGather, ins[head].bytes + ins[rest].bytes));
  EXPECT_NEAR(r.timeline.start_s(0, rest), head_s, 1e-12);  // right behind the head on the DP stream
}

TEST(Simulate, PartialRecomputeLiesBetweenNoneAndFull) {
  // llama2-7b, 32 layers over pp 4 (8 per stage, 4 per chunk with vpp 2).
  Job j = MakeJob("llama2-7b", "dgx-h100", 2, 4, 2, 64, 1, 4096);
  j.parallel.sp = true;
  j.parallel.vpp = 2;
  j.parallel.schedule = ScheduleKind::kInterleaved;
  auto run = [&](Recompute rc, int layers) {
    j.parallel.recompute = rc;
    j.parallel.recompute_layers = layers;
    return std::make_pair(Simulate(j).step_time_s, EstimateMemory(j).peak_bytes);
  };
  const auto none = run(Recompute::kNone, 0), full = run(Recompute::kFull, 0);
  ASSERT_LT(none.first, full.first);
  ASSERT_GT(none.second, full.second);
  const auto one = run(Recompute::kFull, 1), three = run(Recompute::kFull, 3);
  EXPECT_GT(one.first, none.first);  // fewer layers recomputed: faster, more memory
  EXPECT_LT(one.first, three.first);
  EXPECT_LT(three.first, full.first);
  EXPECT_LT(one.second, none.second);
  EXPECT_GT(one.second, three.second);
  EXPECT_GT(three.second, full.second);
  // Recomputing every layer of the 4-layer chunks is full recompute.
  EXPECT_EQ(run(Recompute::kFull, 4), full);
  EXPECT_EQ(run(Recompute::kFull, 9), full);
  // Each chunk recomputes 1 of its 4 layers: hardware FLOPs count a quarter
  // of full recompute's extra forward.
  j.parallel.recompute = Recompute::kFull;
  j.parallel.recompute_layers = 1;
  const SimResult partial = Simulate(j);
  j.parallel.recompute_layers = 0;
  const SimResult all = Simulate(j);
  EXPECT_NEAR(partial.hardware_flops - partial.model_flops, 0.25 * (all.hardware_flops - all.model_flops),
              1e-9 * all.hardware_flops);
}

TEST(Simulate, OneF1BBubbleShrinksWithMicroBatches) {
  // Layers dominate; bubble share ~ (p-1)/(m+p-1) up to the embedding/head imbalance.
  Job j = MakeJob("gpt3-175b", "dgx-a100-80g", 8, 8, 1, 64, 1, 2048);
  const double f64 = Simulate(j).bubble_fraction;
  j.training.global_batch = 16;
  const double f16 = Simulate(j).bubble_fraction;
  EXPECT_GT(f16, f64);
  EXPECT_NEAR(f16, 7.0 / 23, 0.05);
  EXPECT_NEAR(f64, 7.0 / 71, 0.03);
}

TEST(Simulate, ReusedScheduleStructureCarriesEachJobsBytes) {
  // Two jobs with the same schedule structure (pp 2, m 8, dp 2) but different
  // models share programs and graph; each result must carry its own DP bytes:
  // the reduce-scatters of a stage add up to its gradient bytes (fp32, 4 B per
  // parameter on the stage, ZeRO-1 reduce-scatter).
  Job a = MakeJob("gpt-350m", "dgx-a100-80g", 1, 2, 2, 16, 1, 1024);
  Job b = MakeJob("gpt-1.3b", "dgx-a100-80g", 1, 2, 2, 16, 1, 1024);
  a.parallel.zero = b.parallel.zero = 1;
  const SimResult ra = Simulate(a), rb = Simulate(b), ra2 = Simulate(a);
  EXPECT_DOUBLE_EQ(ra.step_time_s, ra2.step_time_s);
  EXPECT_GT(rb.step_time_s, ra.step_time_s);
  for (const auto* pair : {&a, &b}) {
    const SimResult& r = pair == &a ? ra : rb;
    for (int s = 0; s < 2; ++s) {
      double rs_bytes = 0;
      for (const Instruction& in : r.ProgramOf(s).instructions)
        if (in.op == OpKind::kDpReduceScatter) rs_bytes += in.bytes;
      const StageParams sp = ParamsOnStage(*pair, s);
      EXPECT_NEAR(rs_bytes, 4 * (sp.dense + sp.expert), 4 * 16) << pair->model.name << " stage " << s;
    }
  }
}

TEST(Simulate, ResultsShareTheCachedProgramsAndOutliveTheCache) {
  // Same structure: the second result shares the first one's programs; after
  // the cache is cleared both stay valid and a fresh build gives the same
  // programs (with each job's bytes) and the same step time.
  Job j = MakeJob("gpt-350m", "dgx-a100-80g", 1, 4, 2, 32, 1, 1024);
  j.parallel.zero = 1;
  const SimResult a = Simulate(j), b = Simulate(j);
  EXPECT_EQ(a.structure.get(), b.structure.get());
  ClearSimulateCache();
  const SimResult c = Simulate(j);
  EXPECT_NE(a.structure.get(), c.structure.get());
  EXPECT_EQ(c.step_time_s, a.step_time_s);
  ASSERT_EQ(a.num_stages(), 4);
  EXPECT_EQ(ProgramsToText(a.Programs()), ProgramsToText(c.Programs()));
  const int64_t p2p = CostModel(j).P2pBytes();
  int sends = 0;
  for (const Instruction& in : a.ProgramOf(2).instructions) {
    if (!IsSendOp(in.op)) continue;
    EXPECT_EQ(in.bytes, p2p);
    ++sends;
  }
  EXPECT_EQ(sends, 2 * j.micro_batches());  // SEND_F and SEND_B of every micro-batch on a middle stage
}

TEST(Simulate, LowerBoundNeverExceedsSimulated) {
  struct Case {
    std::string model, cluster;
    int tp, pp, dp;
    int64_t gbs, mbs, seq;
    ScheduleKind sched;
    int vpp;
    Recompute rc;
    int zero;
  };
  const std::vector<Case> cases = {
      {"gpt-1.3b", "h200x4-measured", 1, 1, 4, 16, 4, 2048, ScheduleKind::k1F1B, 1, Recompute::kNone, 0},
      {"gpt-1.3b", "h200x4-measured", 2, 2, 1, 8, 1, 2048, ScheduleKind::kGPipe, 1, Recompute::kFull, 0},
      {"llama2-13b", "dgx-a100-80g", 4, 4, 2, 64, 1, 4096, ScheduleKind::kInterleaved, 2, Recompute::kSelective, 1},
      {"llama2-13b", "dgx-a100-80g", 4, 4, 2, 64, 1, 4096, ScheduleKind::kZbH1, 1, Recompute::kNone, 1},
      {"gpt3-175b", "dgx-a100-80g", 8, 12, 4, 256, 1, 2048, ScheduleKind::k1F1B, 1, Recompute::kFull, 0},
      {"llama3-70b", "dgx-h100", 8, 4, 8, 128, 1, 8192, ScheduleKind::kInterleaved, 4, Recompute::kNone, 1},
      {"mixtral-8x7b", "dgx-h100", 2, 4, 8, 128, 1, 4096, ScheduleKind::k1F1B, 1, Recompute::kNone, 1},
      {"llama2-7b", "dgx-h100", 1, 2, 8, 64, 2, 4096, ScheduleKind::k1F1B, 1, Recompute::kNone, 3 - 2},
      {"gpt-350m", "dgx-a100-80g", 1, 1, 8, 64, 8, 1024, ScheduleKind::k1F1B, 1, Recompute::kNone, 3},
      {"llama3-8b", "dgx-h100", 2, 2, 4, 32, 1, 8192, ScheduleKind::k1F1B, 1, Recompute::kSelective, 1},  // cp 2
  };
  for (const Case& c : cases) {
    Job j = MakeJob(c.model, c.cluster, c.tp, c.pp, c.dp, c.gbs, c.mbs, c.seq);
    j.parallel.schedule = c.sched;
    j.parallel.vpp = c.vpp;
    j.parallel.recompute = c.rc;
    j.parallel.zero = c.zero;
    if (c.model == "mixtral-8x7b") j.parallel.ep = 4;
    if (c.model == "llama3-8b") j.parallel.cp = 2, j.parallel.sp = true;
    const double sim = Simulate(j).step_time_s;
    const double lb = EstimateStepTimeLowerBound(j);
    EXPECT_LE(lb, sim * (1 + 1e-9)) << c.model << " tp" << c.tp << " pp" << c.pp << " dp" << c.dp;
    EXPECT_GT(lb, 0.5 * sim) << c.model << " (the bound should not be vacuous)";
  }
}

}  // namespace
}  // namespace parallax
