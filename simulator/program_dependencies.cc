// Intra-rank data dependencies and cross-rank send/recv matching of programs.
// See program_dependencies.h for the rules.
#include "simulator/program_dependencies.h"

#include <deque>
#include <map>
#include <tuple>

namespace parallax {

std::vector<int> StreamPredecessors(const Program& program) {
  std::vector<int> prev(program.instructions.size(), -1);
  std::map<Stream, int> last;
  for (size_t i = 0; i < program.instructions.size(); ++i) {
    const Stream s = program.instructions[i].stream;
    auto it = last.find(s);
    if (it != last.end()) prev[i] = it->second;
    last[s] = static_cast<int>(i);
  }
  return prev;
}

std::vector<std::vector<int>> DataDependencies(const Program& program) {
  using Key = std::pair<int, int>;  // (chunk, micro_batch)
  const auto& ins = program.instructions;
  std::vector<std::vector<int>> deps(ins.size());
  std::map<Key, int> forward, input_grad_done, backward_part, weight_part, recv_f, recv_b, bi;
  std::map<Key, std::deque<int>> gathers;     // pending ZeRO-3 AGs per (chunk, mb)
  std::map<std::pair<int, int>, int> wgrad;   // (chunk, part or -1) -> latest weight-grad op
  std::vector<int> reductions;
  int last_opt = -1;
  auto add = [&](size_t i, const std::map<Key, int>& m, const Key& k) {
    auto it = m.find(k);
    if (it != m.end()) deps[i].push_back(it->second);
  };
  auto take_gather = [&](size_t i, const Key& k) {
    auto it = gathers.find(k);
    if (it != gathers.end() && !it->second.empty()) {
      deps[i].push_back(it->second.front());
      it->second.pop_front();
    }
  };
  for (size_t i = 0; i < ins.size(); ++i) {
    const Instruction& in = ins[i];
    const Key k{in.chunk, in.micro_batch};
    const int idx = static_cast<int>(i);
    const bool later_part = in.num_parts > 0 && in.part > 0;
    switch (in.op) {
      case OpKind::kForward:
        add(i, recv_f, k);
        take_gather(i, k);
        forward[k] = idx;
        break;
      case OpKind::kBackward:
      case OpKind::kBackwardInput:
        if (later_part) {
          add(i, backward_part, k);
        } else {
          add(i, forward, k);
          add(i, recv_b, k);
          take_gather(i, k);
        }
        backward_part[k] = idx;
        if (in.num_parts == 0 || in.part == in.num_parts - 1) input_grad_done[k] = idx;
        if (in.op == OpKind::kBackwardInput) bi[k] = idx;
        if (in.op == OpKind::kBackward) wgrad[{in.chunk, in.num_parts > 0 ? in.part : -1}] = idx;
        break;
      case OpKind::kBackwardWeight:
        if (later_part) add(i, weight_part, k); else add(i, bi, k);
        weight_part[k] = idx;
        wgrad[{in.chunk, in.num_parts > 0 ? in.part : -1}] = idx;
        break;
      case OpKind::kSendActivation: add(i, forward, k); break;
      case OpKind::kSendGradient: add(i, input_grad_done, k); break;
      case OpKind::kRecvActivation: recv_f[k] = idx; break;
      case OpKind::kRecvGradient: recv_b[k] = idx; break;
      case OpKind::kDpReduceScatter:
      case OpKind::kDpAllReduce: {
        // The bucket's own part if the producer was split, else the whole op;
        // whichever of the two is later in the program.
        int best = -1;
        for (int part : {in.bucket, -1}) {
          auto it = wgrad.find({in.chunk, part});
          if (it != wgrad.end() && it->second > best) best = it->second;
        }
        if (best >= 0) deps[i].push_back(best);
        reductions.push_back(idx);
        break;
      }
      case OpKind::kOptimizerStep:
        deps[i] = reductions;
        last_opt = idx;
        break;
      case OpKind::kParamAllGather:
        if (in.micro_batch >= 0) gathers[k].push_back(idx);
        else if (last_opt >= 0) deps[i].push_back(last_opt);
        break;
    }
  }
  return deps;
}

std::vector<std::vector<InstructionRef>> MatchSends(const std::vector<Program>& programs) {
  // channel (src, dst, is_gradient) -> sends in program order
  using Channel = std::tuple<int, int, bool>;
  std::map<Channel, std::vector<InstructionRef>> sends;
  for (size_t s = 0; s < programs.size(); ++s) {
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i)
      if (IsSendOp(ins[i].op))
        sends[{static_cast<int>(s), ins[i].peer, ins[i].op == OpKind::kSendGradient}].push_back(
            {static_cast<int>(s), static_cast<int>(i)});
  }
  std::vector<std::vector<InstructionRef>> match(programs.size());
  std::map<Channel, size_t> next;
  for (size_t s = 0; s < programs.size(); ++s) {
    const auto& ins = programs[s].instructions;
    match[s].resize(ins.size());
    for (size_t i = 0; i < ins.size(); ++i) {
      if (!IsRecvOp(ins[i].op)) continue;
      const Channel ch{ins[i].peer, static_cast<int>(s), ins[i].op == OpKind::kRecvGradient};
      size_t& n = next[ch];
      auto it = sends.find(ch);
      if (it != sends.end() && n < it->second.size()) match[s][i] = it->second[n];
      ++n;
    }
  }
  return match;
}

}  // namespace parallax
