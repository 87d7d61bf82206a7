// The executor runs the schedule generator's programs as given: a program
// whose gradient reduction overlaps the last backward (split into parts, one
// bucket reduced after each) trains to the same parameters as the plain one;
// instructions the CPU backend does not run (ZeRO-3 gathers) fail with a
// SpecError naming the instruction; misuse (a backward before its forward, a
// pipeline program without a pipeline communicator) is caught.
#include "runtime/executor.h"

#include <cmath>
#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"
#include "runtime/test_models.h"
#include "simulator/schedule.h"

namespace parallax {
namespace {

std::vector<float> RunProgram(const ModelLayout& layout, const TokenData& data, const Program& program, int dp,
                              int zero, int buckets, int micro_batches) {
  ExecutorConfig ec;
  ec.micro_batch = 2;
  ec.micro_batches = micro_batches;
  ec.seq = 16;
  std::vector<float> out;
  auto comms = MakeLoopbackGroup(dp);
  RunRanks(comms, [&](Communicator& c) {
    Executor ex(layout, data, program, ec, MakeSharding(layout.padded_size, dp, c.rank(), zero, buckets),
                OptimizerConfig{});
    for (int s = 0; s < 2; ++s) ex.RunStep(c, s);
    if (c.rank() == 0) out = ex.params();
  });
  return out;
}

TEST(Executor, OverlappedReductionProgramMatchesPlainProgram) {
  const ModelLayout layout = BuildLayout(testing::LlamaTiny(), 2 * 3);
  const TokenData data = SyntheticTokens(64, 4);
  for (int zero : {0, 1}) {
    ScheduleSpec spec = PipelineSpec(ProgramSchedule::kNone, 1, 2);
    spec.dp = 2;
    spec.zero_stage = zero;
    spec.grad_buckets_per_chunk = 3;
    const Program plain = GeneratePrograms(spec).at(0);
    spec.overlap_grad_reduce = true;
    const Program overlapped = GeneratePrograms(spec).at(0);
    ASSERT_NE(ProgramsToText({plain}), ProgramsToText({overlapped}));
    const auto a = RunProgram(layout, data, plain, 2, zero, 3, 2);
    const auto b = RunProgram(layout, data, overlapped, 2, zero, 3, 2);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "zero " << zero;
  }
}

TEST(Executor, Zero3GathersAreRejectedByName) {
  const ModelLayout layout = BuildLayout(testing::LlamaTiny(), 2);
  const TokenData data = SyntheticTokens(64, 4);
  ScheduleSpec spec = PipelineSpec(ProgramSchedule::kNone, 1, 1);
  spec.dp = 2;
  spec.zero_stage = 3;
  try {
    RunProgram(layout, data, GeneratePrograms(spec).at(0), 2, 1, 1, 1);
    FAIL() << "no error";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("\"AG"), std::string::npos) << e.what();
  }
}

TEST(Executor, PipelineProgramNeedsAPipelineCommunicator) {
  const ModelLayout layout = BuildLayout(testing::LlamaTiny());
  const TokenData data = SyntheticTokens(64, 4);
  const Program stage0 = GeneratePrograms(PipelineSpec(ProgramSchedule::k1F1B, 2, 2)).at(0);
  EXPECT_THROW(RunProgram(layout, data, stage0, 1, 0, 1, 2), std::logic_error);
}

TEST(Executor, BackwardBeforeForwardIsAnError) {
  const ModelLayout layout = BuildLayout(testing::LlamaTiny());
  const TokenData data = SyntheticTokens(64, 4);
  Program p;
  p.instructions = {ComputeOp(OpKind::kBackward, 0, 0), ComputeOp(OpKind::kForward, 0, 0)};
  EXPECT_THROW(RunProgram(layout, data, p, 1, 0, 1, 1), std::logic_error);
}

}  // namespace
}  // namespace parallax
