// The cost model against hand-computed numbers: a GEMM at a measured table
// point takes exactly 2mnk / measured FLOP/s; a collective at a measured size
// takes bytes x nccl-tests factor / measured bus bandwidth; the fallback
// formulas (roofline GEMM, link-bandwidth collectives, hierarchical DP)
// reproduce their closed forms; layer costs respond to recompute and TP as
// the formulas say.
#include "simulator/cost_model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/test_job.h"

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "simulator/simulate.h"

namespace parallax {
namespace {

TEST(CostModel, GemmAtMeasuredPointIsExact) {
  const Job j = MakeJob("gpt-1.3b", "h200x4-measured", 1, 1, 1, 4, 4, 2048);
  const CostModel cm(j);
  // gemm table: 8192 x 6144 x 2048 at 651.888 TFLOP/s, 4096^3 at 694.911.
  EXPECT_NEAR(cm.GemmTime(8192, 6144, 2048), 2.0 * 8192 * 6144 * 2048 / 651.888e12, 1e-12);
  EXPECT_NEAR(cm.GemmTime(4096, 4096, 4096), 2.0 * 4096 * 4096 * 4096 / 694.911e12, 1e-12);
  // Between table points the efficiency lies within its 4 nearest neighbours'
  // range (6144 x 6144 x 8192 and the like: 703.8 - 718.4 TFLOP/s).
  const double e = cm.GemmEfficiency(6000, 6000, 6000);
  EXPECT_GT(e, 703.8e12 / 989e12);
  EXPECT_LT(e, 718.5e12 / 989e12);
}

TEST(CostModel, GemmFallbackIsRooflinePlusLatency) {
  const Job j = MakeJob("gpt-1.3b", "dgx-a100-80g", 1, 1, 1, 4, 4, 2048);
  CostParams params;
  const CostModel cm(j, params);
  const double flops = 2.0 * 8192 * 8192 * 8192;
  EXPECT_NEAR(cm.GemmTime(8192, 8192, 8192), flops / (312e12 * 0.77) + params.gemm_latency_s, 1e-12);
  // A skinny GEMM is memory-bound: bytes (2 B each of A, B, C) over HBM x efficiency.
  const double bytes = 2.0 * (8192.0 * 8 + 8.0 * 8192 + 8192.0 * 8192);
  EXPECT_NEAR(cm.GemmTime(8192, 8192, 8), bytes / (2039e9 * 0.85) + params.gemm_latency_s, 1e-12);
}

TEST(CostModel, CollectiveAtMeasuredSizeIsExact) {
  const Job j = MakeJob("gpt-1.3b", "h200x4-measured", 4, 1, 1, 4, 4, 2048);
  const CostModel cm(j);
  const GroupSpan& tp = cm.topology().Span(GroupKind::kTp);
  ASSERT_EQ(tp.size, 4);
  // all_reduce, 4 GPUs, 64 MiB: 302.64 GB/s bus bandwidth; factor 2(n-1)/n = 1.5.
  EXPECT_NEAR(cm.CollectiveTime(CollectiveOp::kAllReduce, 67108864, tp), 67108864 * 1.5 / 302.64e9, 1e-12);
  // Between measured sizes: bus bandwidth between the neighbours'.
  const double t = cm.CollectiveTime(CollectiveOp::kAllReduce, 134217728, tp);
  EXPECT_GT(t, 134217728 * 1.5 / 336.29e9);
  EXPECT_LT(t, 134217728 * 1.5 / 302.64e9);
}

TEST(CostModel, CollectiveFallbackFromLinks) {
  const Job j = MakeJob("gpt-1.3b", "dgx-a100-80g", 8, 1, 4, 32, 1, 2048);
  const CostModel cm(j);
  const double bytes = 1e9;
  // tp 8 in one node: NVLink 300 GB/s x 0.8, factor 2·7/8, + 8 us.
  EXPECT_NEAR(cm.CollectiveTime(CollectiveOp::kAllReduce, bytes, GroupKind::kTp),
              bytes * 1.75 / (300e9 * 0.8) + 8e-6, 1e-12);
  // dp 4 across 4 nodes, one member each: the NIC, 25 GB/s x 0.8, factor 2·3/4, + 12 us.
  EXPECT_NEAR(cm.CollectiveTime(CollectiveOp::kAllReduce, bytes, GroupKind::kDp), bytes * 1.5 / (25e9 * 0.8) + 12e-6,
              1e-12);
  // Hierarchical: 2 nodes x 2 members: RS in node, AR of half across, AG in node.
  GroupSpan g;
  g.size = 4;
  g.nodes = 2;
  g.ranks_per_node = 2;
  const double intra = 300e9 * 0.8, inter = 25e9 * 0.8;
  const double expect = bytes * 0.5 / intra + 8e-6 + (bytes / 2) * 1.0 / inter + 12e-6 + bytes * 0.5 / intra + 8e-6;
  EXPECT_NEAR(cm.CollectiveTime(CollectiveOp::kAllReduce, bytes, g), expect, 1e-12);
  EXPECT_DOUBLE_EQ(BusFactor(CollectiveOp::kAllGather, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(BusFactor(CollectiveOp::kSendRecv, 2), 1.0);
}

TEST(CostModel, PipelineTransferAndBlockingP2p) {
  // tp 8 pp 2 dp 2 (32 GPUs): the stages sit on different nodes, so the 1/8
  // shard crosses the NIC, then the receiver all-gathers the shards on NVLink.
  Job j = MakeJob("gpt-1.3b", "dgx-a100-80g", 8, 2, 2, 16, 1, 2048);
  const double full = 2048.0 * 2048 * 2;  // b·s·h bf16
  const double send = full / 8 / (25e9 * 0.8) + 12e-6;
  const double gather = full * 7.0 / 8 / (300e9 * 0.8) + 8e-6;
  EXPECT_NEAR(CostModel(j).P2pTime(), send + gather, 1e-12);
  EXPECT_EQ(CostModel(j).BlockingP2pTime(), 0.0);  // overlapped by default
  j.parallel.overlap_p2p = false;
  EXPECT_NEAR(CostModel(j).BlockingP2pTime(), send + gather, 1e-12);
  j.parallel.schedule = ScheduleKind::kInterleaved;  // one combined exchange per F + B pair
  j.parallel.vpp = 2;
  EXPECT_NEAR(CostModel(j).BlockingP2pTime(), (send + gather) / 2, 1e-12);
  j.parallel.sp = true;  // the SP shard is what is sent: no gather
  EXPECT_NEAR(CostModel(j).P2pTime(), send, 1e-12);
}

TEST(CostModel, BlockingP2pLengthensTheStepAndShowsAsPpComm) {
  Job j = MakeJob("gpt-1.3b", "dgx-a100-80g", 8, 2, 2, 16, 1, 2048);
  const SimResult async = Simulate(j);
  j.parallel.overlap_p2p = false;
  const SimResult blocking = Simulate(j);
  // Each of the 8 micro-batches' forward on stage 0 and backward on stage 1
  // carries one transfer; the critical stage carries at least 8 of them.
  const double t = CostModel(j).BlockingP2pTime();
  EXPECT_GE(blocking.step_time_s, async.step_time_s + 8 * t - 1e-9);
  EXPECT_GE(blocking.breakdown.pp_comm_s, 8 * t - 1e-9);
  EXPECT_NEAR(blocking.breakdown.total_s(), blocking.step_time_s, 1e-9);
}

TEST(CostModel, LayerGemmsMatchTheirShapes) {
  // Dense GPT layer, tp 1, no table: forward GEMM time is the sum of the four
  // linear layers' GemmTime, backward input + weight are each the transposed shapes.
  Job j = MakeJob("gpt-1.3b", "dgx-a100-80g", 1, 1, 1, 1, 1, 2048);
  const CostModel cm(j);
  const int64_t T = 2048, h = 2048, f = 8192;
  const double fwd = cm.GemmTime(T, 3 * h, h) + cm.GemmTime(T, h, h) + cm.GemmTime(T, f, h) + cm.GemmTime(T, h, f);
  const double dgrad = cm.GemmTime(T, h, 3 * h) + cm.GemmTime(T, h, h) + cm.GemmTime(T, h, f) + cm.GemmTime(T, f, h);
  const double wgrad = cm.GemmTime(h, 3 * h, T) + cm.GemmTime(h, h, T) + cm.GemmTime(h, f, T) + cm.GemmTime(f, h, T);
  const LayerCost c = cm.Layer(0);
  EXPECT_NEAR(c.forward.gemm_s, fwd, 1e-12);
  EXPECT_NEAR(c.backward_input.gemm_s, dgrad, 1e-12);
  EXPECT_NEAR(c.backward_weight.gemm_s, wgrad, 1e-12);
  EXPECT_EQ(c.forward.tp_comm_s, 0.0);
  // Flash attention: 4·b·s²·heads·d / 2 FLOPs at 312 x 0.77 (gemm_max_efficiency) x 0.5.
  const double attn = 4.0 * 2048 * 2048 * 16 * 128 * 0.5 / (312e12 * 0.77 * 0.5);
  EXPECT_NEAR(c.forward.attention_s, attn, 1e-12);
  EXPECT_NEAR(c.backward_input.attention_s, 2.5 * attn, 1e-12);
}

TEST(CostModel, RecomputeAndTensorParallel) {
  Job j = MakeJob("gpt-1.3b", "dgx-a100-80g", 2, 1, 1, 1, 1, 2048);
  j.parallel.recompute = Recompute::kFull;
  const LayerCost full = CostModel(j).Layer(0);
  EXPECT_NEAR(full.recompute.total_s(), full.forward.total_s(), 1e-15);
  j.parallel.recompute = Recompute::kSelective;
  const LayerCost sel = CostModel(j).Layer(0);
  EXPECT_NEAR(sel.recompute.total_s(), sel.forward.attention_s, 1e-15);
  // 2 all-reduces of b·s·h·2 bytes forward over NVLink (tp 2: factor 1).
  const double ar = 2048.0 * 2048 * 2 * 1.0 / (300e9 * 0.8) + 8e-6;
  EXPECT_NEAR(sel.forward.tp_comm_s, 2 * ar, 1e-12);
  EXPECT_NEAR(sel.backward_input.tp_comm_s, 2 * ar, 1e-12);
  // Sequence parallel: AG + RS pair per exchange, same bytes: (1/2 + 1/2) x bytes / bw + 2 latencies.
  j.parallel.sp = true;
  const LayerCost sp = CostModel(j).Layer(0);
  EXPECT_NEAR(sp.forward.tp_comm_s, 2 * (2048.0 * 2048 * 2 / (300e9 * 0.8) + 16e-6), 1e-12);
}

TEST(CostModel, OptimizerIsMemoryBoundOverShardedState) {
  Job j = MakeJob("gpt-1.3b", "dgx-a100-80g", 1, 1, 4, 16, 4, 2048);
  const double t0 = CostModel(j).OptimizerTime(0);
  j.parallel.zero = 1;
  const double t1 = CostModel(j).OptimizerTime(0);
  EXPECT_NEAR(t1, t0 / 4, 1e-12);
  // bf16-mixed: 2 x 4 (grad) + 8 (master) + 16 (m, v) + 2 (bf16 copy) = 34 B per parameter.
  const double params = 1315819520;  // gpt-1.3b, tied embeddings, vocab padded to 50304 already
  EXPECT_NEAR(t0, params * 34 / (2039e9 * 0.85), t0 * 0.01);
}

}  // namespace
}  // namespace parallax
