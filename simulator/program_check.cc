// Host-only program checker: structure, p2p matching and a deadlock dry run.
// See program_check.h.
#include "simulator/program_check.h"

#include <map>
#include <sstream>
#include <stdexcept>

#include "simulator/program_dependencies.h"

namespace parallax {
namespace {

constexpr int kMaxReported = 20;

class Problems {
 public:
  void Add(const std::string& line) {
    if (count_++ < kMaxReported) os_ << line << "\n";
  }
  bool empty() const { return count_ == 0; }
  std::string Text() const {
    std::string s = os_.str();
    if (count_ > kMaxReported) s += "... and " + std::to_string(count_ - kMaxReported) + " more problems\n";
    if (!s.empty()) s.pop_back();
    return s;
  }

 private:
  std::ostringstream os_;
  int count_ = 0;
};

std::string Where(int stage, size_t index, const Instruction& in) {
  return "stage " + std::to_string(stage) + " #" + std::to_string(index) + " '" + ToString(in) + "'";
}

// Fields, streams and peers of single instructions.
void CheckFields(const std::vector<Program>& programs, int vpp, int m, Problems& problems) {
  const int pp = static_cast<int>(programs.size());
  for (int s = 0; s < pp; ++s) {
    if (programs[s].stage != s)
      problems.Add("program " + std::to_string(s) + " says stage " + std::to_string(programs[s].stage));
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i) {
      const Instruction& in = ins[i];
      if (in.stream != StreamOf(in.op)) problems.Add(Where(s, i, in) + ": wrong stream for its op");
      const bool needs_chunk = in.op != OpKind::kOptimizerStep;
      const bool needs_mb = IsComputeOp(in.op) || IsSendOp(in.op) || IsRecvOp(in.op);
      if (needs_chunk && (in.chunk < 0 || in.chunk >= vpp))
        problems.Add(Where(s, i, in) + ": chunk outside 0.." + std::to_string(vpp - 1));
      if (needs_mb && (in.micro_batch < 0 || in.micro_batch >= m))
        problems.Add(Where(s, i, in) + ": micro_batch outside 0.." + std::to_string(m - 1));
      if (in.num_parts > 0 && (in.part < 0 || in.part >= in.num_parts))
        problems.Add(Where(s, i, in) + ": part outside 0..num_parts-1");
      if ((IsSendOp(in.op) || IsRecvOp(in.op)) && in.chunk >= 0 && in.chunk < vpp) {
        try {
          const PeerChunk peer = PeerOf(in.op, in.chunk, s, pp, vpp);
          if (peer.stage != in.peer)
            problems.Add(Where(s, i, in) + ": peer should be stage " + std::to_string(peer.stage));
        } catch (const std::invalid_argument& e) {
          problems.Add(Where(s, i, in) + ": " + e.what());
        }
      }
    }
  }
}

// Per stage: each (chunk, mb) has one F, one backward (B, or BI then BW, parts
// complete and in order), in that order, and its p2p ops where the virtual stage
// has neighbours, before/after the compute that needs/produces them.
void CheckComputeOrder(const std::vector<Program>& programs, int vpp, int m, Problems& problems) {
  const int pp = static_cast<int>(programs.size());
  const int last_vs = pp * vpp - 1;
  for (int s = 0; s < pp; ++s) {
    // (chunk, mb) -> index of each event, -1 if absent; counts for duplicates.
    struct Seen {
      int f = -1, b_first = -1, b_last = -1, bw_first = -1, bw_last = -1;
      int recv_f = -1, send_f = -1, recv_b = -1, send_b = -1;
      int nf = 0, nb = 0, nbi = 0, nbw = 0, n_recv_f = 0, n_send_f = 0, n_recv_b = 0, n_send_b = 0;
      int b_next_part = 0, bw_next_part = 0;
    };
    std::map<std::pair<int, int>, Seen> seen;
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i) {
      const Instruction& in = ins[i];
      if (!(IsComputeOp(in.op) || IsSendOp(in.op) || IsRecvOp(in.op))) continue;
      Seen& x = seen[{in.chunk, in.micro_batch}];
      const int idx = static_cast<int>(i);
      // A split op counts once, at part 0; parts must come 0, 1, ..., n-1.
      auto part_step = [&](int& next_part, int& first, int& last, int& count) {
        if (in.num_parts == 0) {
          ++count;
          first = last = idx;
          return;
        }
        if (in.part != next_part)
          problems.Add(Where(s, i, in) + ": expected part " + std::to_string(next_part));
        if (in.part == 0) {
          ++count;
          first = idx;
        }
        last = idx;
        next_part = in.part + 1 == in.num_parts ? 0 : in.part + 1;
      };
      switch (in.op) {
        case OpKind::kForward: ++x.nf; x.f = idx; break;
        case OpKind::kBackward: part_step(x.b_next_part, x.b_first, x.b_last, x.nb); break;
        case OpKind::kBackwardInput: part_step(x.b_next_part, x.b_first, x.b_last, x.nbi); break;
        case OpKind::kBackwardWeight: part_step(x.bw_next_part, x.bw_first, x.bw_last, x.nbw); break;
        case OpKind::kRecvActivation: ++x.n_recv_f; x.recv_f = idx; break;
        case OpKind::kSendActivation: ++x.n_send_f; x.send_f = idx; break;
        case OpKind::kRecvGradient: ++x.n_recv_b; x.recv_b = idx; break;
        case OpKind::kSendGradient: ++x.n_send_b; x.send_b = idx; break;
        default: break;
      }
    }
    const std::string st = "stage " + std::to_string(s);
    for (int c = 0; c < vpp; ++c) {
      const int vs = VirtualStage(c, s, pp);
      for (int mb = 0; mb < m; ++mb) {
        const std::string what = st + " c" + std::to_string(c) + " mb" + std::to_string(mb);
        const Seen x = seen.count({c, mb}) ? seen[{c, mb}] : Seen{};
        const bool split = x.nbi + x.nbw > 0;
        if (x.nf != 1) problems.Add(what + ": " + std::to_string(x.nf) + " forwards, expected 1");
        if (split ? (x.nbi != 1 || x.nbw != 1 || x.nb != 0) : x.nb != 1)
          problems.Add(what + ": backward must be one B or one BI and one BW (got " + std::to_string(x.nb) +
                       " B, " + std::to_string(x.nbi) + " BI, " + std::to_string(x.nbw) + " BW)");
        if (x.f >= 0 && x.b_first >= 0 && x.b_first < x.f)
          problems.Add(what + ": backward before its forward");
        if (split && x.bw_first >= 0 && x.b_last >= 0 && x.bw_first < x.b_last)
          problems.Add(what + ": BW before its BI");
        auto expect = [&](int count, bool wanted, const char* name) {
          if (count != (wanted ? 1 : 0))
            problems.Add(what + ": " + std::to_string(count) + " " + name + ", expected " + (wanted ? "1" : "0"));
        };
        expect(x.n_recv_f, vs > 0, "RECV_F");
        expect(x.n_send_f, vs < last_vs, "SEND_F");
        expect(x.n_recv_b, vs < last_vs, "RECV_B");
        expect(x.n_send_b, vs > 0, "SEND_B");
        if (x.recv_f >= 0 && x.f >= 0 && x.recv_f > x.f) problems.Add(what + ": RECV_F after its forward");
        if (x.send_f >= 0 && x.f >= 0 && x.send_f < x.f) problems.Add(what + ": SEND_F before its forward");
        if (x.recv_b >= 0 && x.b_first >= 0 && x.recv_b > x.b_first)
          problems.Add(what + ": RECV_B after its backward");
        if (x.send_b >= 0 && x.b_last >= 0 && x.send_b < x.b_last)
          problems.Add(what + ": SEND_B before its backward");
      }
    }
  }
}

// Each receive matches the send in the same position of its channel, with the
// same micro-batch, the peer's chunk of the adjacent virtual stage and the same
// bytes; every send is received.
void CheckMatching(const std::vector<Program>& programs, int vpp,
                   const std::vector<std::vector<InstructionRef>>& match, Problems& problems) {
  const int pp = static_cast<int>(programs.size());
  std::map<std::pair<int, int>, int> received;  // send ref -> times matched
  for (int s = 0; s < pp; ++s) {
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i) {
      const Instruction& recv = ins[i];
      if (!IsRecvOp(recv.op)) continue;
      const InstructionRef ref = match[s][i];
      if (!ref.valid()) {
        problems.Add(Where(s, i, recv) + ": no matching send from stage " + std::to_string(recv.peer));
        continue;
      }
      ++received[{ref.stage, ref.index}];
      const Instruction& send = programs[ref.stage].instructions[ref.index];
      bool chunk_ok = false;
      if (send.chunk >= 0 && send.chunk < vpp) {
        try {
          const PeerChunk to = PeerOf(send.op, send.chunk, ref.stage, pp, vpp);
          chunk_ok = to.stage == s && to.chunk == recv.chunk;
        } catch (const std::invalid_argument&) {
        }
      }
      if (!chunk_ok || send.micro_batch != recv.micro_batch || send.bytes != recv.bytes)
        problems.Add(Where(s, i, recv) + " is matched (channel order) with " +
                     Where(ref.stage, ref.index, send) + ": chunk, micro_batch or bytes differ");
    }
  }
  for (int s = 0; s < pp; ++s) {
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i)
      if (IsSendOp(ins[i].op) && !received.count({s, static_cast<int>(i)}))
        problems.Add(Where(s, static_cast<int>(i), ins[i]) + ": no matching receive on stage " +
                     std::to_string(ins[i].peer));
  }
}

// Dry run: stages execute in order, a receive waits for its matched send.
void CheckDeadlock(const std::vector<Program>& programs,
                   const std::vector<std::vector<InstructionRef>>& match, Problems& problems) {
  const int pp = static_cast<int>(programs.size());
  std::vector<size_t> pc(pp, 0);
  bool progress = true;
  while (progress) {
    progress = false;
    for (int s = 0; s < pp; ++s) {
      const auto& ins = programs[s].instructions;
      while (pc[s] < ins.size()) {
        if (IsRecvOp(ins[pc[s]].op)) {
          const InstructionRef ref = match[s][pc[s]];
          if (!ref.valid() || pc[ref.stage] <= static_cast<size_t>(ref.index)) break;
        }
        ++pc[s];
        progress = true;
      }
    }
  }
  std::string stuck;
  for (int s = 0; s < pp; ++s)
    if (pc[s] < programs[s].instructions.size())
      stuck += (stuck.empty() ? "" : "; ") + Where(s, pc[s], programs[s].instructions[pc[s]]);
  if (!stuck.empty()) problems.Add("deadlock: stuck at " + stuck);
}

}  // namespace

CheckResult CheckPrograms(const std::vector<Program>& programs, int vpp, int micro_batches) {
  Problems problems;
  if (programs.empty()) problems.Add("no programs");
  if (vpp < 1 || micro_batches < 1) problems.Add("vpp and micro_batches must be >= 1");
  if (problems.empty()) {
    CheckFields(programs, vpp, micro_batches, problems);
    CheckComputeOrder(programs, vpp, micro_batches, problems);
    // Peers outside the pipeline would break matching; stop at field errors.
    bool peers_ok = true;
    for (const Program& p : programs)
      for (const Instruction& in : p.instructions)
        if ((IsSendOp(in.op) || IsRecvOp(in.op)) && (in.peer < 0 || in.peer >= static_cast<int>(programs.size())))
          peers_ok = false;
    if (peers_ok) {
      const auto match = MatchSends(programs);
      CheckMatching(programs, vpp, match, problems);
      CheckDeadlock(programs, match, problems);
    } else {
      problems.Add("p2p peer outside 0.." + std::to_string(programs.size() - 1) + "; matching skipped");
    }
  }
  CheckResult r;
  r.ok = problems.empty();
  r.message = r.ok ? "ok" : problems.Text();
  return r;
}

}  // namespace parallax
