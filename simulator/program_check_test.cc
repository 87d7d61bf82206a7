// Tests of the program checker: deliberately broken programs (a dropped
// receive, a receive moved ahead so that two stages wait on each other, wrong
// bytes, a backward before its forward, a missing backward, a wrong peer, an
// out-of-order split) are caught with a message naming the instruction.
#include "simulator/program_check.h"

#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "simulator/program_dependencies.h"
#include "simulator/schedule.h"

namespace parallax {
namespace {

std::vector<Program> OneFOneB(int pp, int m) {
  ScheduleSpec s;
  s.kind = ProgramSchedule::k1F1B;
  s.pp = pp;
  s.micro_batches = m;
  s.p2p_bytes = 4096;
  return GeneratePrograms(s);
}

size_t Find(const Program& p, const std::string& text) {
  for (size_t i = 0; i < p.instructions.size(); ++i)
    if (ToString(p.instructions[i]) == text) return i;
  ADD_FAILURE() << "no '" << text << "' in stage " << p.stage;
  return 0;
}

void ExpectProblem(const std::vector<Program>& programs, int vpp, int m, const std::string& needle) {
  const CheckResult r = CheckPrograms(programs, vpp, m);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find(needle), std::string::npos) << "want '" << needle << "' in:\n" << r.message;
}

TEST(ProgramCheck, GeneratedProgramsPass) {
  const CheckResult r = CheckPrograms(OneFOneB(4, 6), 1, 6);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "ok");
}

TEST(ProgramCheck, DroppedReceiveIsCaught) {
  auto programs = OneFOneB(3, 4);
  auto& ins = programs[1].instructions;
  ins.erase(ins.begin() + Find(programs[1], "RECV_F c0 mb2 <- 0 (4096 B)"));
  ExpectProblem(programs, 1, 4, "stage 1 c0 mb2: 0 RECV_F, expected 1");
  ExpectProblem(programs, 1, 4, "'SEND_F c0 mb3 -> 1 (4096 B)': no matching receive on stage 1");
}

// MatchReceives (the cost graph's form) lists every receive, stage by stage in
// program order, with the send MatchSends gives it; a receive whose channel
// ran out of sends is listed with an invalid send.
TEST(ProgramCheck, MatchReceivesAgreesWithMatchSends) {
  auto programs = OneFOneB(3, 4);
  auto& ins = programs[0].instructions;
  ins.erase(ins.begin() + Find(programs[0], "SEND_F c0 mb1 -> 1 (4096 B)"));
  const auto by_instruction = MatchSends(programs);
  const auto by_receive = MatchReceives(programs);
  size_t k = 0, unmatched = 0;
  for (size_t s = 0; s < programs.size(); ++s)
    for (size_t i = 0; i < programs[s].instructions.size(); ++i) {
      if (!IsRecvOp(programs[s].instructions[i].op)) continue;
      ASSERT_LT(k, by_receive.size());
      EXPECT_EQ(by_receive[k].receive.stage, static_cast<int>(s));
      EXPECT_EQ(by_receive[k].receive.index, static_cast<int>(i));
      EXPECT_EQ(by_receive[k].send.stage, by_instruction[s][i].stage);
      EXPECT_EQ(by_receive[k].send.index, by_instruction[s][i].index);
      unmatched += !by_receive[k].send.valid();
      ++k;
    }
  EXPECT_EQ(k, by_receive.size());
  EXPECT_EQ(unmatched, 1u);  // stage 1's last RECV_F
}

TEST(ProgramCheck, ReceiveMovedAheadDeadlocks) {
  // Stage 0 waits for mb0's gradient before sending mb0's activation: a cycle.
  auto programs = OneFOneB(2, 3);
  auto& ins = programs[0].instructions;
  const size_t i = Find(programs[0], "RECV_B c0 mb0 <- 1 (4096 B)");
  const Instruction recv = ins[i];
  ins.erase(ins.begin() + i);
  ins.insert(ins.begin(), recv);
  const CheckResult r = CheckPrograms(programs, 1, 3);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("deadlock: stuck at stage 0 #0 'RECV_B c0 mb0 <- 1 (4096 B)'; "
                           "stage 1 #0 'RECV_F c0 mb0 <- 0 (4096 B)'"),
            std::string::npos)
      << r.message;
}

TEST(ProgramCheck, SwappedSendsBreakChannelOrder) {
  // Stage 0 sends mb1's activation before mb0's; stage 1 receives mb0 first.
  auto programs = OneFOneB(2, 3);
  auto& ins = programs[0].instructions;
  std::iter_swap(ins.begin() + Find(programs[0], "SEND_F c0 mb0 -> 1 (4096 B)"),
                 ins.begin() + Find(programs[0], "SEND_F c0 mb1 -> 1 (4096 B)"));
  ExpectProblem(programs, 1, 3, "is matched (channel order) with stage 0");
}

TEST(ProgramCheck, WrongBytesAreCaught) {
  auto programs = OneFOneB(2, 2);
  programs[1].instructions[Find(programs[1], "RECV_F c0 mb1 <- 0 (4096 B)")].bytes = 4000;
  ExpectProblem(programs, 1, 2, "stage 1 #");
  ExpectProblem(programs, 1, 2, "chunk, micro_batch or bytes differ");
}

TEST(ProgramCheck, BackwardBeforeForwardIsCaught) {
  auto programs = OneFOneB(2, 2);
  auto& ins = programs[1].instructions;  // last stage: ... F c0 mb0, B c0 mb0 ...
  std::iter_swap(ins.begin() + Find(programs[1], "F c0 mb0"), ins.begin() + Find(programs[1], "B c0 mb0"));
  ExpectProblem(programs, 1, 2, "stage 1 c0 mb0: backward before its forward");
}

TEST(ProgramCheck, MissingBackwardIsCaught) {
  auto programs = OneFOneB(1, 3);
  auto& ins = programs[0].instructions;
  ins.erase(ins.begin() + Find(programs[0], "B c0 mb1"));
  ExpectProblem(programs, 1, 3, "stage 0 c0 mb1: backward must be one B or one BI and one BW (got 0 B, 0 BI, 0 BW)");
}

TEST(ProgramCheck, WrongPeerIsCaught) {
  auto programs = OneFOneB(3, 3);
  programs[0].instructions[Find(programs[0], "SEND_F c0 mb0 -> 1 (4096 B)")].peer = 2;
  ExpectProblem(programs, 1, 3, "peer should be stage 1");
}

TEST(ProgramCheck, OutOfOrderPartsAreCaught) {
  ScheduleSpec s;
  s.kind = ProgramSchedule::k1F1B;
  s.pp = 2;
  s.micro_batches = 2;
  s.dp = 2;
  s.overlap_grad_reduce = true;
  s.grad_buckets_per_chunk = 2;
  s.grad_bytes_per_chunk = 100;
  auto programs = GeneratePrograms(s);
  ASSERT_TRUE(CheckPrograms(programs, 1, 2).ok);
  auto& ins = programs[0].instructions;
  std::iter_swap(ins.begin() + Find(programs[0], "B c0 mb1 part 0/2"),
                 ins.begin() + Find(programs[0], "B c0 mb1 part 1/2"));
  ExpectProblem(programs, 1, 2, "'B c0 mb1 part 1/2': expected part 0");
}

TEST(ProgramCheck, OutOfRangeFieldsAreCaught) {
  auto programs = OneFOneB(2, 2);
  ExpectProblem(programs, 1, 1, "micro_batch outside 0..0");
  programs[0].stage = 5;
  ExpectProblem(programs, 1, 2, "program 0 says stage 5");
}

}  // namespace
}  // namespace parallax
