// What each instruction of a program waits for: the IR's execution semantics in
// one place, used by the checker, the in-flight count, the cost graph and the
// runtime executor alike.
//
// An instruction may start when (1) the previous instruction on the same stream
// of its rank has finished (stream order), (2) its data dependencies on the same
// rank have finished (DataDependencies below), and (3) for a receive, its
// matching send on the peer rank has been issued (MatchSends below).
#pragma once

#include <vector>

#include "simulator/program.h"

namespace parallax {

// Index of the previous instruction on the same stream, or -1.
std::vector<int> StreamPredecessors(const Program& program);

// For each instruction, the earlier instructions of the same program whose
// results it consumes (stream order not included):
//   F(c,mb)          <- RECV_F(c,mb); its ZeRO-3 AG (see below)
//   B/BI(c,mb)       <- F(c,mb); RECV_B(c,mb); its ZeRO-3 AG   (part k > 0: part k-1)
//   BW(c,mb)         <- BI(c,mb)                                (part k > 0: part k-1)
//   SEND_F(c,mb)     <- F(c,mb);  SEND_B(c,mb) <- last part of B(c,mb) or BI(c,mb)
//   RS/AR(c, bucket) <- latest weight-grad op (B/BW) of chunk c with part == bucket,
//                       or unsplit
//   OPT              <- every earlier RS/AR
//   AG with bucket   <- the latest OPT (ZeRO-1/2 parameter all-gather after the step)
//   AG with mb       (ZeRO-3 prefetch) feeds the next F / B part 0 / BI of the same
//                    (chunk, micro_batch); it has no dependency of its own.
std::vector<std::vector<int>> DataDependencies(const Program& program);

// The same lists in compressed form (one allocation instead of one per
// instruction, for large programs): the dependencies of instruction i are
// index[begin[i]] .. index[begin[i + 1] - 1], in DataDependencies' order.
struct DependencyLists {
  std::vector<int> begin;  // size instructions + 1
  std::vector<int> index;
};
DependencyLists DataDependencyLists(const Program& program);

struct InstructionRef {
  int stage = -1;
  int index = -1;
  bool valid() const { return stage >= 0; }
};

// Matches receives to sends. Messages travel on channels (src stage, dst stage,
// activation|gradient) and match in order on each channel, as NCCL matches
// point-to-point calls between a pair of ranks; a runtime keeps the activation
// and gradient channels apart (separate communicators or streams).
// Result[s][i] is the send matched to programs[s].instructions[i] if that is a
// receive (invalid if the channel has fewer sends), else invalid.
std::vector<std::vector<InstructionRef>> MatchSends(const std::vector<Program>& programs);

// The same matching listed by receive: every receive of every program, stage
// by stage in program order, with its matched send (invalid if none). No
// per-instruction table (the cost graph's form for large programs).
struct ReceiveMatch {
  InstructionRef receive;
  InstructionRef send;
};
std::vector<ReceiveMatch> MatchReceives(const std::vector<Program>& programs);

}  // namespace parallax
