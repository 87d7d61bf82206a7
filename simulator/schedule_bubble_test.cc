// Independent closed-form check of the schedules' bubbles. A small list-scheduling
// simulation written here (each instruction starts when its stream predecessor,
// its data dependencies and, for a receive, its matched send have finished; unit
// costs, free communication) times the generated programs, and the idle time is
// compared with the papers' formulas:
//   GPipe, 1F1B (Narayanan et al. SC'21 §2.2):   bubble / ideal = (p-1)/m
//   interleaved 1F1B (SC'21 §2.2.2):            bubble / ideal = (p-1)/(v·m)
//   ZB-H1 (Qi et al. ICLR'24):  bubble time (p-1)(T_F + T_B - T_W), versus
//   1F1B with the same split costs: (p-1)(T_F + T_B + T_W).
#include <algorithm>
#include <map>
#include <vector>

#include "gtest/gtest.h"
#include "simulator/program_dependencies.h"
#include "simulator/schedule.h"

namespace parallax {
namespace {

struct Costs {
  double forward = 1, backward_input = 1, backward_weight = 0;  // per stage, all chunks together
};

// Step time of the programs under `costs` (split evenly over vpp chunks and over
// the parts of a split backward); communication and the optimizer cost nothing.
double StepTime(const std::vector<Program>& programs, int vpp, const Costs& costs) {
  const auto match = MatchSends(programs);
  std::vector<std::vector<int>> stream_prev;
  std::vector<std::vector<std::vector<int>>> data;
  std::vector<std::vector<double>> finish;
  for (const Program& p : programs) {
    stream_prev.push_back(StreamPredecessors(p));
    data.push_back(DataDependencies(p));
    finish.emplace_back(p.instructions.size(), -1.0);
  }
  auto cost = [&](const Instruction& in) {
    const double parts = in.num_parts > 0 ? in.num_parts : 1;
    switch (in.op) {
      case OpKind::kForward: return costs.forward / vpp / parts;
      case OpKind::kBackward: return (costs.backward_input + costs.backward_weight) / vpp / parts;
      case OpKind::kBackwardInput: return costs.backward_input / vpp / parts;
      case OpKind::kBackwardWeight: return costs.backward_weight / vpp / parts;
      default: return 0.0;
    }
  };
  std::vector<size_t> next(programs.size(), 0);
  bool progress = true;
  double end = 0;
  while (progress) {
    progress = false;
    for (size_t s = 0; s < programs.size(); ++s) {
      const auto& ins = programs[s].instructions;
      while (next[s] < ins.size()) {
        const size_t i = next[s];
        double start = 0;
        if (stream_prev[s][i] >= 0) start = std::max(start, finish[s][stream_prev[s][i]]);
        for (int d : data[s][i]) start = std::max(start, finish[s][d]);
        if (IsRecvOp(ins[i].op)) {
          const InstructionRef ref = match[s][i];
          if (!ref.valid()) return -1;
          const double sent = finish[ref.stage][ref.index];
          if (sent < 0) break;  // the send is not timed yet
          start = std::max(start, sent);
        }
        finish[s][i] = start + cost(ins[i]);
        end = std::max(end, finish[s][i]);
        ++next[s];
        progress = true;
      }
    }
  }
  for (size_t s = 0; s < programs.size(); ++s)
    if (next[s] != programs[s].instructions.size()) return -1;  // deadlock
  return end;
}

ScheduleSpec Spec(ProgramSchedule kind, int pp, int m, int vpp = 1) {
  ScheduleSpec s = PipelineSpec(kind, pp, m, vpp);
  s.p2p_bytes = 1;
  return s;
}

double BubbleFraction(const ScheduleSpec& spec, const Costs& c) {
  const double ideal = spec.micro_batches * (c.forward + c.backward_input + c.backward_weight);
  return (StepTime(GeneratePrograms(spec), spec.vpp, c) - ideal) / ideal;
}

TEST(ScheduleBubble, GPipeIsPMinusOneOverM) {
  for (int p = 1; p <= 8; ++p)
    for (int m = 1; m <= 16; ++m)
      EXPECT_NEAR(BubbleFraction(Spec(ProgramSchedule::kGPipe, p, m), Costs{}), (p - 1.0) / m, 1e-9)
          << "p=" << p << " m=" << m;
}

TEST(ScheduleBubble, OneFOneBIsPMinusOneOverM) {
  for (int p = 1; p <= 8; ++p)
    for (int m = 1; m <= 16; ++m)
      EXPECT_NEAR(BubbleFraction(Spec(ProgramSchedule::k1F1B, p, m), Costs{}), (p - 1.0) / m, 1e-9)
          << "p=" << p << " m=" << m;
}

TEST(ScheduleBubble, OneFOneBBubbleHoldsForUnequalForwardAndBackward) {
  // (p-1)(T_F + T_B) of idle time per stage, e.g. T_B = 2 T_F.
  const Costs c{1.0, 2.0, 0.0};
  for (int p = 2; p <= 6; ++p)
    for (int m = p; m <= 12; ++m)
      EXPECT_NEAR(BubbleFraction(Spec(ProgramSchedule::k1F1B, p, m), c), (p - 1.0) / m, 1e-9)
          << "p=" << p << " m=" << m;
}

TEST(ScheduleBubble, InterleavedIsPMinusOneOverVM) {
  for (int p = 2; p <= 8; ++p)
    for (int v = 2; v <= 4; ++v)
      for (int m = p; m <= 4 * p; m += p)
        EXPECT_NEAR(BubbleFraction(Spec(ProgramSchedule::kInterleaved, p, m, v), Costs{}), (p - 1.0) / (v * m),
                    1e-9)
            << "p=" << p << " v=" << v << " m=" << m;
}

TEST(ScheduleBubble, ZbH1CutsTheBubbleToPMinusOneTimesFPlusBMinusW) {
  // m >= p and T_W <= T_F, T_B (the paper's setting).
  const std::vector<Costs> costs = {{1, 1, 1}, {1, 2, 1}, {2, 1, 1}, {1, 1, 0.5}, {1.5, 1, 0.7}, {1, 1.2, 0.25}};
  for (int p = 2; p <= 8; ++p)
    for (int m = p; m <= 3 * p; m += 3)
      for (const Costs& c : costs) {
        const double ideal = m * (c.forward + c.backward_input + c.backward_weight);
        const double zb = StepTime(GeneratePrograms(Spec(ProgramSchedule::kZbH1, p, m)), 1, c) - ideal;
        const double one_f_one_b = StepTime(GeneratePrograms(Spec(ProgramSchedule::k1F1B, p, m)), 1, c) - ideal;
        EXPECT_NEAR(zb, (p - 1) * (c.forward + c.backward_input - c.backward_weight), 1e-9)
            << "p=" << p << " m=" << m << " F,B,W=" << c.forward << "," << c.backward_input << ","
            << c.backward_weight;
        EXPECT_NEAR(one_f_one_b, (p - 1) * (c.forward + c.backward_input + c.backward_weight), 1e-9)
            << "p=" << p << " m=" << m;
      }
}

TEST(ScheduleBubble, ZbH1IsAThirdOfOneFOneBWhenAllPassesCostTheSame) {
  const Costs c{1, 1, 1};
  const int p = 4, m = 12;
  const double ideal = m * 3.0;
  const double zb = StepTime(GeneratePrograms(Spec(ProgramSchedule::kZbH1, p, m)), 1, c) - ideal;
  const double base = StepTime(GeneratePrograms(Spec(ProgramSchedule::k1F1B, p, m)), 1, c) - ideal;
  EXPECT_NEAR(zb / base, 1.0 / 3.0, 1e-9);
}

}  // namespace
}  // namespace parallax
