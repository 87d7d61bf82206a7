// The cost graph's timeline against closed forms. With uniform costs and free
// communication the compute-stream idle time of every stage is the schedule's
// bubble (Narayanan et al. SC'21 §2.2; Qi et al. ICLR'24):
//   GPipe, 1F1B:      bubble / busy = (p-1)/m
//   interleaved:      bubble / busy = (p-1)/(v·m)
//   ZB-H1:            bubble = (p-1)(T_F + T_B - T_W), 1F1B: (p-1)(T_F + T_B + T_W)
// and a p2p transfer of T between two stages adds exactly 2T (forward and back).
#include "simulator/cost_graph.h"

#include <gtest/gtest.h>

#include "simulator/schedule.h"

namespace parallax {
namespace {

// Costs per stage (all chunks together): F, backward input part, weight part.
InstructionCost Uniform(int vpp, double f, double bi, double bw, double p2p = 0) {
  return [=](int, int, const Instruction& in) -> double {
    const double parts = in.num_parts > 0 ? in.num_parts : 1;
    switch (in.op) {
      case OpKind::kForward: return f / vpp / parts;
      case OpKind::kBackward: return (bi + bw) / vpp / parts;
      case OpKind::kBackwardInput: return bi / vpp / parts;
      case OpKind::kBackwardWeight: return bw / vpp / parts;
      case OpKind::kSendActivation:
      case OpKind::kRecvActivation:
      case OpKind::kSendGradient:
      case OpKind::kRecvGradient: return p2p;
      default: return 0.0;
    }
  };
}

double Bubble(ProgramSchedule kind, int p, int m, int v, double f, double bi, double bw, int stage = 0) {
  const std::vector<Program> programs = GeneratePrograms(PipelineSpec(kind, p, m, v));
  const CostGraph g(programs);
  const Timeline tl = g.Schedule(Uniform(v, f, bi, bw));
  const ComputeIdle idle = g.IdleOf(tl, stage);
  EXPECT_NEAR(idle.pp_wait_s, 0, 1e-12);
  EXPECT_NEAR(idle.dp_wait_s, 0, 1e-12);
  // Idle + busy = step on every stage.
  EXPECT_NEAR(idle.bubble_s + m * (f + bi + bw), tl.step_time_s, 1e-9);
  return idle.bubble_s;
}

TEST(CostGraph, GPipeAnd1F1BBubbleIsPMinus1OverM) {
  for (auto kind : {ProgramSchedule::kGPipe, ProgramSchedule::k1F1B}) {
    for (auto [p, m] : {std::pair{4, 8}, {8, 16}, {4, 4}, {2, 32}}) {
      const double busy = m * 2.0;
      for (int stage : {0, p - 1})
        EXPECT_NEAR(Bubble(kind, p, m, 1, 1, 1, 0, stage) / busy, (p - 1.0) / m, 1e-9)
            << ProgramScheduleName(kind) << " p" << p << " m" << m;
    }
  }
}

TEST(CostGraph, InterleavedBubbleIsPMinus1OverVM) {
  for (auto [p, m, v] : {std::tuple{4, 8, 2}, {4, 16, 4}, {8, 16, 2}}) {
    const double busy = m * 2.0;
    EXPECT_NEAR(Bubble(ProgramSchedule::kInterleaved, p, m, v, 1, 1, 0) / busy, (p - 1.0) / (v * m), 1e-9)
        << "p" << p << " m" << m << " v" << v;
  }
}

TEST(CostGraph, ZbH1BubbleVs1F1B) {
  const int p = 4, m = 12;
  const double tf = 1, tb = 1, tw = 1;
  EXPECT_NEAR(Bubble(ProgramSchedule::kZbH1, p, m, 1, tf, tb, tw), (p - 1) * (tf + tb - tw), 1e-9);
  EXPECT_NEAR(Bubble(ProgramSchedule::k1F1B, p, m, 1, tf, tb, tw), (p - 1) * (tf + tb + tw), 1e-9);
}

TEST(CostGraph, P2pTransferOnTheCriticalPath) {
  // 2 stages, 1 micro-batch: F0, send, F1, B1, send, B0 in a chain.
  const std::vector<Program> programs = GeneratePrograms(PipelineSpec(ProgramSchedule::k1F1B, 2, 1));
  const CostGraph g(programs);
  const double T = 0.25;
  const Timeline tl = g.Schedule(Uniform(1, 1, 2, 0, T));
  EXPECT_NEAR(tl.step_time_s, 1 + T + 1 + 2 + T + 2, 1e-12);
  const ComputeIdle last = g.IdleOf(tl, 1);
  EXPECT_NEAR(last.pp_wait_s, T, 1e-12);   // waiting for the activation in flight
  EXPECT_NEAR(last.bubble_s, 1 + 2 + T, 1e-12);  // waiting for stage 0's F, then stage 0's tail
  EXPECT_GT(g.num_edges(), g.num_vertices() - 2);
}

TEST(CostGraph, MissingSendIsRejected) {
  std::vector<Program> programs = GeneratePrograms(PipelineSpec(ProgramSchedule::k1F1B, 2, 2));
  auto& ins = programs[0].instructions;
  for (size_t i = 0; i < ins.size(); ++i)
    if (ins[i].op == OpKind::kSendActivation) {
      ins.erase(ins.begin() + i);
      break;
    }
  EXPECT_THROW(CostGraph{programs}, std::invalid_argument);
}

TEST(CostGraph, DeadlockIsRejected) {
  // Both stages receive before they send: each waits for the other.
  std::vector<Program> programs(2);
  programs[0].stage = 0;
  programs[1].stage = 1;
  programs[0].instructions = {P2pOp(OpKind::kRecvGradient, 0, 0, 1, 8), P2pOp(OpKind::kSendActivation, 0, 0, 1, 8)};
  programs[1].instructions = {P2pOp(OpKind::kRecvActivation, 0, 0, 0, 8), P2pOp(OpKind::kSendGradient, 0, 0, 0, 8)};
  EXPECT_THROW(CostGraph{programs}, std::invalid_argument);
}

TEST(CostGraph, OrdersGraphsThatProgramOrderCannot) {
  // Stage 0's send is on another stream than its receive, so it need not wait
  // for it: the graph is acyclic although running each program in order
  // blocks both stages at their receives (Boost's topological sort orders it).
  // Unit durations: stage 0 SEND [0, 1]; stage 1 RECV starts with it [0, 1],
  // SEND after it [1, 2]; stage 0 RECV starts with that send [1, 2].
  std::vector<Program> programs(2);
  programs[0].stage = 0;
  programs[1].stage = 1;
  Instruction send = P2pOp(OpKind::kSendActivation, 0, 0, 1, 8);
  send.stream = Stream::kDataParallel;
  programs[0].instructions = {P2pOp(OpKind::kRecvGradient, 0, 0, 1, 8), send};
  programs[1].instructions = {P2pOp(OpKind::kRecvActivation, 0, 0, 0, 8), P2pOp(OpKind::kSendGradient, 0, 0, 0, 8)};
  const CostGraph g(programs);
  const Timeline tl = g.Schedule([](int, int, const Instruction&) { return 1.0; });
  EXPECT_DOUBLE_EQ(tl.start_s(0, 1), 0);
  EXPECT_DOUBLE_EQ(tl.start_s(1, 0), 0);
  EXPECT_DOUBLE_EQ(tl.start_s(1, 1), 1);
  EXPECT_DOUBLE_EQ(tl.start_s(0, 0), 1);
  EXPECT_DOUBLE_EQ(tl.step_time_s, 2);
}

TEST(CostGraph, ProgramOrderTimesExactlyAsBoostsTopologicalSort) {
  // The order read off the programs and boost::topological_sort's order give
  // bit-identical timelines (each start is the max over the same wait-for
  // edges), with uneven costs, transfers and overlapped DP collectives.
  const InstructionCost uneven = [](int stage, int index, const Instruction& in) {
    const double jitter = 1e-3 * ((stage * 7919 + index * 104729) % 97);
    return (IsComputeOp(in.op) ? 1.0 : 0.1) + jitter;
  };
  for (auto [kind, p, m, v] : {std::tuple{ProgramSchedule::k1F1B, 4, 8, 1}, {ProgramSchedule::kGPipe, 3, 5, 1},
                               {ProgramSchedule::kInterleaved, 4, 8, 2}, {ProgramSchedule::kZbH1, 4, 6, 1}}) {
    for (int zero : {0, 1, 3}) {
      ScheduleSpec spec = PipelineSpec(kind, p, m, v);
      spec.dp = 2;
      spec.zero_stage = zero;
      spec.overlap_grad_reduce = true;
      spec.grad_buckets_per_chunk = 3;
      const std::vector<Program> programs = GeneratePrograms(spec);
      const CostGraph ours(programs), boost(programs, CostGraph::Order::kBoost);
      ASSERT_EQ(ours.num_edges(), boost.num_edges());
      const Timeline a = ours.Schedule(uneven), b = boost.Schedule(uneven);
      EXPECT_EQ(a.step_time_s, b.step_time_s) << ProgramScheduleName(kind) << " zero " << zero;
      EXPECT_GT(a.step_time_s, m * 2.0);
      int differ = 0;
      for (int s = 0; s < p; ++s)
        for (int i = 0; i < a.num_instructions(s); ++i)
          differ += a.start_s(s, i) != b.start_s(s, i) || a.end_s(s, i) != b.end_s(s, i);
      EXPECT_EQ(differ, 0) << ProgramScheduleName(kind) << " zero " << zero;
    }
  }
}

TEST(CostGraph, LargeScheduleMatchesTheClosedForm) {
  // Big enough that every stage blocks and resumes many times in the
  // program-order worklist: interleaved bubble (p-1)/(v·m) on 32 stages.
  const int p = 32, m = 64, v = 2;
  EXPECT_NEAR(Bubble(ProgramSchedule::kInterleaved, p, m, v, 1, 1, 0) / (m * 2.0), (p - 1.0) / (v * m), 1e-9);
}

}  // namespace
}  // namespace parallax
