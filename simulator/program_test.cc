// Tests of the program IR: the text form round-trips for every schedule (with
// split backwards, DP collectives and ZeRO-3 gathers), reads as documented,
// rejects malformed lines with the line in the message; peers of virtual stages
// and the dependency rules that the cost graph and runtime rely on.
#include "simulator/program.h"

#include <stdexcept>
#include <string>

#include "gtest/gtest.h"
#include "simulator/program_dependencies.h"
#include "simulator/program_inflight.h"
#include "simulator/schedule.h"

namespace parallax {
namespace {

std::vector<ScheduleSpec> SomeSpecs() {
  std::vector<ScheduleSpec> specs;
  const ProgramSchedule kinds[] = {ProgramSchedule::kGPipe, ProgramSchedule::k1F1B, ProgramSchedule::kInterleaved,
                                ProgramSchedule::kZbH1};
  for (ProgramSchedule kind : kinds)
    for (int zero = 0; zero <= 3; ++zero)
      for (bool overlap : {false, true}) {
        ScheduleSpec s;
        s.kind = kind;
        s.pp = 4;
        s.vpp = kind == ProgramSchedule::kInterleaved ? 2 : 1;
        s.micro_batches = 8;
        s.p2p_bytes = 8388608;
        s.dp = 2;
        s.zero_stage = zero;
        s.overlap_grad_reduce = overlap;
        s.grad_buckets_per_chunk = 4;
        s.grad_bytes_per_chunk = 3 << 20;
        s.param_bytes_per_chunk = 1 << 20;
        specs.push_back(s);
      }
  return specs;
}

TEST(ProgramText, RoundTripsEverySchedule) {
  for (const ScheduleSpec& spec : SomeSpecs()) {
    const auto programs = GeneratePrograms(spec);
    const std::string text = ProgramsToText(programs);
    const auto back = ProgramsFromText(text);
    ASSERT_EQ(back.size(), programs.size());
    for (size_t s = 0; s < programs.size(); ++s) {
      EXPECT_EQ(back[s].stage, programs[s].stage);
      ASSERT_EQ(back[s].instructions.size(), programs[s].instructions.size());
      for (size_t i = 0; i < programs[s].instructions.size(); ++i)
        EXPECT_EQ(back[s].instructions[i], programs[s].instructions[i])
            << ToString(programs[s].instructions[i]) << " vs " << ToString(back[s].instructions[i]);
    }
    EXPECT_EQ(ProgramsToText(back), text);
  }
}

TEST(ProgramText, ReadsAsDocumented) {
  EXPECT_EQ(ToString(ComputeOp(OpKind::kForward, 0, 3)), "F c0 mb3");
  EXPECT_EQ(ToString(P2pOp(OpKind::kSendActivation, 0, 3, 2, 8388608)), "SEND_F c0 mb3 -> 2 (8388608 B)");
  EXPECT_EQ(ToString(P2pOp(OpKind::kRecvGradient, 1, 0, 3, 64)), "RECV_B c1 mb0 <- 3 (64 B)");
  EXPECT_EQ(ToString(DpOp(OpKind::kDpReduceScatter, 1, 2, 1024)), "RS c1 bucket 2 (1024 B)");
  EXPECT_EQ(ToString(OptimizerStep()), "OPT");
  Instruction part = ComputeOp(OpKind::kBackward, 1, 7);
  part.part = 1;
  part.num_parts = 4;
  EXPECT_EQ(ToString(part), "B c1 mb7 part 1/4");
  const Instruction in = ParseInstruction("RECV_F c1 mb5 <- 3 (100 B)");
  EXPECT_EQ(in.op, OpKind::kRecvActivation);
  EXPECT_EQ(in.stream, Stream::kP2p);
  EXPECT_EQ(in.chunk, 1);
  EXPECT_EQ(in.micro_batch, 5);
  EXPECT_EQ(in.peer, 3);
  EXPECT_EQ(in.bytes, 100);
  EXPECT_EQ(ParseInstruction("AG c0 bucket 1 (9 B)").stream, Stream::kDataParallel);
}

TEST(ProgramText, RejectsMalformedLinesNamingThem) {
  const char* bad[] = {"FWD c0 mb0", "F c0 mbx", "SEND_F c0 mb0 <- 1 (8 B)", "F c0 mb0 (8 KB)",
                       "B c0 mb0 part 4/4", "F c0 mb0 extra", "RS c0 bucket", ""};
  for (const char* line : bad) {
    try {
      ParseInstruction(line);
      ADD_FAILURE() << "accepted '" << line << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("program text"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(ProgramsFromText("F c0 mb0\n"), std::invalid_argument);  // no stage header
  // 16-bit fields: the largest value reads back, one more is rejected naming the field.
  EXPECT_EQ(ParseInstruction("SEND_F c32767 mb40000 -> 32767").peer, 32767);
  EXPECT_EQ(ParseInstruction("SEND_F c32767 mb40000 -> 32767").micro_batch, 40000);
  for (const char* line : {"SEND_F c0 mb0 -> 32768", "F c32768 mb0", "RS c0 bucket 40000", "B c0 mb0 part 0/32768"}) {
    try {
      ParseInstruction(line);
      ADD_FAILURE() << "accepted '" << line << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("exceeds 32767"), std::string::npos) << e.what();
    }
  }
}

TEST(Program, PeersFollowVirtualStages) {
  // pp=4, vpp=2: chunk 0 of stage 3 (virtual stage 3) sends to chunk 1 of stage 0.
  const PeerChunk next = PeerOf(OpKind::kSendActivation, 0, 3, 4, 2);
  EXPECT_EQ(next.stage, 0);
  EXPECT_EQ(next.chunk, 1);
  const PeerChunk prev = PeerOf(OpKind::kSendGradient, 1, 0, 4, 2);
  EXPECT_EQ(prev.stage, 3);
  EXPECT_EQ(prev.chunk, 0);
  EXPECT_THROW(PeerOf(OpKind::kRecvActivation, 0, 0, 4, 2), std::invalid_argument);
  EXPECT_THROW(PeerOf(OpKind::kSendActivation, 1, 3, 4, 2), std::invalid_argument);
}

TEST(Program, DependenciesFollowTheDocumentedRules) {
  const Program p = ProgramsFromText(
                        "stage 1\n"
                        "  AG c0 mb0 (5 B)\n"        // 0: ZeRO-3 prefetch for F c0 mb0
                        "  RECV_F c0 mb0 <- 0 (8 B)\n"  // 1
                        "  F c0 mb0\n"                // 2 <- 1, 0
                        "  SEND_F c0 mb0 -> 2 (8 B)\n"  // 3 <- 2
                        "  RECV_B c0 mb0 <- 2 (8 B)\n"  // 4
                        "  BI c0 mb0\n"               // 5 <- 2, 4
                        "  SEND_B c0 mb0 -> 0 (8 B)\n"  // 6 <- 5
                        "  BW c0 mb0 part 0/2\n"      // 7 <- 5
                        "  RS c0 bucket 0 (4 B)\n"    // 8 <- 7
                        "  BW c0 mb0 part 1/2\n"      // 9 <- 7
                        "  RS c0 bucket 1 (4 B)\n"    // 10 <- 9
                        "  OPT\n"                     // 11 <- 8, 10
                        "  AG c0 bucket 0 (5 B)\n")   // 12 <- 11
                        .at(0);
  const auto deps = DataDependencies(p);
  const std::vector<std::vector<int>> want = {{}, {}, {1, 0}, {2}, {}, {2, 4}, {5}, {5}, {7}, {7}, {9}, {8, 10}, {11}};
  ASSERT_EQ(deps.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(deps[i], want[i]) << "#" << i << " " << ToString(p.instructions[i]);
  const std::vector<int> prev = StreamPredecessors(p);
  EXPECT_EQ(prev[2], -1);   // first compute
  EXPECT_EQ(prev[4], 3);    // p2p stream order
  EXPECT_EQ(prev[12], 10);  // DP stream order
  const InFlight f = CountInFlight(p);
  EXPECT_EQ(f.max_activations, 1);
  EXPECT_EQ(f.max_weight_grad_pending, 1);
}

}  // namespace
}  // namespace parallax
