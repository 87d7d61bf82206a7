// Intra-rank data dependencies and cross-rank send/recv matching of programs.
// See program_dependencies.h for the rules. Keys such as (chunk, micro_batch)
// index flat tables (PairIndex), so a 400k-instruction schedule is scanned in
// a few milliseconds.
#include "simulator/program_dependencies.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

namespace parallax {
namespace {

// Dense ids for the (a, b) keys of a program: (a - a_min)·span_b + (b - b_min)
// over the observed ranges when that table stays small (chunk × micro_batch,
// stage × peer), else ids from a map (arbitrary values in hand-written
// programs). Find returns -1 for a key outside the table or never added; in
// the flat form every in-range key has an id, so tables start "not seen".
class PairIndex {
 public:
  // for_each_key(add) calls add(a, b) for every key; it is run at most twice.
  template <typename ForEachKey>
  explicit PairIndex(ForEachKey for_each_key) {
    int64_t keys = 0;
    for_each_key([&](int64_t a, int64_t b) {
      a_min_ = std::min(a_min_, a), a_max_ = std::max(a_max_, a);
      b_min_ = std::min(b_min_, b), b_max_ = std::max(b_max_, b);
      ++keys;
    });
    if (keys == 0) return;
    const int64_t span_a = a_max_ - a_min_ + 1;
    b_span_ = b_max_ - b_min_ + 1;
    flat_ = span_a <= kMaxFlat && b_span_ <= kMaxFlat && span_a * b_span_ <= 4 * keys + 4096;
    if (flat_) {
      size_ = static_cast<int>(span_a * b_span_);
      return;
    }
    for_each_key([&](int64_t a, int64_t b) { ids_.emplace(std::make_pair(a, b), static_cast<int>(ids_.size())); });
    size_ = static_cast<int>(ids_.size());
  }

  int size() const { return size_; }

  int Find(int64_t a, int64_t b) const {
    if (flat_) {
      if (a < a_min_ || a > a_max_ || b < b_min_ || b > b_max_) return -1;
      return static_cast<int>((a - a_min_) * b_span_ + (b - b_min_));
    }
    const auto it = ids_.find({a, b});
    return it == ids_.end() ? -1 : it->second;
  }

 private:
  static constexpr int64_t kMaxFlat = int64_t{1} << 24;
  int64_t a_min_ = INT64_MAX, a_max_ = INT64_MIN, b_min_ = INT64_MAX, b_max_ = INT64_MIN, b_span_ = 0;
  bool flat_ = false;
  int size_ = 0;
  std::map<std::pair<int64_t, int64_t>, int> ids_;
};

// The latest instruction of each kind seen for one (chunk, micro_batch), and
// the queue of its pending ZeRO-3 gathers (a list threaded through next_gather).
struct Latest {
  int forward = -1, input_grad_done = -1, backward_part = -1, weight_part = -1, recv_f = -1, recv_b = -1, bi = -1;
  int gather_head = -1, gather_tail = -1;
};

int WeightGradPart(const Instruction& in) { return in.num_parts > 0 ? in.part : -1; }

}  // namespace

std::vector<int> StreamPredecessors(const Program& program) {
  std::vector<int> prev(program.instructions.size(), -1);
  int last[3] = {-1, -1, -1};  // by Stream
  for (size_t i = 0; i < program.instructions.size(); ++i) {
    int& l = last[static_cast<int>(program.instructions[i].stream)];
    prev[i] = l;
    l = static_cast<int>(i);
  }
  return prev;
}

DependencyLists DataDependencyLists(const Program& program) {
  const auto& ins = program.instructions;
  const PairIndex mb_keys([&](auto add) {
    for (const Instruction& in : ins) add(in.chunk, in.micro_batch);
  });
  const PairIndex wgrad_keys([&](auto add) {  // (chunk, part or -1) of weight-grad producers
    for (const Instruction& in : ins)
      if (ProducesWeightGrad(in.op)) add(in.chunk, WeightGradPart(in));
  });
  std::vector<Latest> latest(mb_keys.size());
  std::vector<int> wgrad(wgrad_keys.size(), -1);  // latest weight-grad op per key
  std::vector<int> next_gather;                   // allocated at the first ZeRO-3 gather
  std::vector<int> reductions;
  int last_opt = -1;

  DependencyLists out;
  out.begin.reserve(ins.size() + 1);
  out.index.reserve(2 * ins.size());
  out.begin.push_back(0);
  auto add = [&](int d) {
    if (d >= 0) out.index.push_back(d);
  };
  auto take_gather = [&](Latest& l) {
    if (l.gather_head < 0) return;
    out.index.push_back(l.gather_head);
    l.gather_head = next_gather[l.gather_head];
    if (l.gather_head < 0) l.gather_tail = -1;
  };
  for (size_t i = 0; i < ins.size(); ++i) {
    const Instruction& in = ins[i];
    Latest& l = latest[mb_keys.Find(in.chunk, in.micro_batch)];  // every key was added
    const int idx = static_cast<int>(i);
    const bool later_part = in.num_parts > 0 && in.part > 0;
    switch (in.op) {
      case OpKind::kForward:
        add(l.recv_f);
        take_gather(l);
        l.forward = idx;
        break;
      case OpKind::kBackward:
      case OpKind::kBackwardInput:
        if (later_part) {
          add(l.backward_part);
        } else {
          add(l.forward);
          add(l.recv_b);
          take_gather(l);
        }
        l.backward_part = idx;
        if (in.num_parts == 0 || in.part == in.num_parts - 1) l.input_grad_done = idx;
        if (in.op == OpKind::kBackwardInput) l.bi = idx;
        if (in.op == OpKind::kBackward) wgrad[wgrad_keys.Find(in.chunk, WeightGradPart(in))] = idx;
        break;
      case OpKind::kBackwardWeight:
        add(later_part ? l.weight_part : l.bi);
        l.weight_part = idx;
        wgrad[wgrad_keys.Find(in.chunk, WeightGradPart(in))] = idx;
        break;
      case OpKind::kSendActivation: add(l.forward); break;
      case OpKind::kSendGradient: add(l.input_grad_done); break;
      case OpKind::kRecvActivation: l.recv_f = idx; break;
      case OpKind::kRecvGradient: l.recv_b = idx; break;
      case OpKind::kDpReduceScatter:
      case OpKind::kDpAllReduce: {
        // The bucket's own part if the producer was split, else the whole op;
        // whichever of the two is later in the program.
        int best = -1;
        for (int part : {static_cast<int>(in.bucket), -1}) {
          const int k = wgrad_keys.Find(in.chunk, part);
          if (k >= 0) best = std::max(best, wgrad[k]);
        }
        add(best);
        reductions.push_back(idx);
        break;
      }
      case OpKind::kOptimizerStep:
        out.index.insert(out.index.end(), reductions.begin(), reductions.end());
        last_opt = idx;
        break;
      case OpKind::kParamAllGather:
        if (in.micro_batch >= 0) {
          if (next_gather.empty()) next_gather.assign(ins.size(), -1);
          (l.gather_tail < 0 ? l.gather_head : next_gather[l.gather_tail]) = idx;
          l.gather_tail = idx;
        } else {
          add(last_opt);  // ZeRO-1/2's gather after the step; ZeRO-3's first-gather rest: none yet
        }
        break;
    }
    out.begin.push_back(static_cast<int>(out.index.size()));
  }
  return out;
}

std::vector<std::vector<int>> DataDependencies(const Program& program) {
  const DependencyLists lists = DataDependencyLists(program);
  std::vector<std::vector<int>> deps(program.instructions.size());
  for (size_t i = 0; i < deps.size(); ++i)
    deps[i].assign(lists.index.begin() + lists.begin[i], lists.index.begin() + lists.begin[i + 1]);
  return deps;
}

std::vector<ReceiveMatch> MatchReceives(const std::vector<Program>& programs) {
  // Channel (src, dst, is_gradient) as the key (src, 2·dst + is_gradient).
  auto channel_of_send = [](int s, const Instruction& in) {
    return std::make_pair(int64_t{s}, 2 * int64_t{in.peer} + (in.op == OpKind::kSendGradient));
  };
  const PairIndex channels([&](auto add) {
    for (size_t s = 0; s < programs.size(); ++s)
      for (const Instruction& in : programs[s].instructions)
        if (IsSendOp(in.op)) {
          const auto ch = channel_of_send(static_cast<int>(s), in);
          add(ch.first, ch.second);
        }
  });
  // Sends of each channel in program order, bucketed by channel (counting sort).
  std::vector<int> first(channels.size() + 1, 0);
  for (size_t s = 0; s < programs.size(); ++s)
    for (const Instruction& in : programs[s].instructions)
      if (IsSendOp(in.op)) {
        const auto ch = channel_of_send(static_cast<int>(s), in);
        ++first[channels.Find(ch.first, ch.second) + 1];
      }
  for (int c = 0; c < channels.size(); ++c) first[c + 1] += first[c];
  std::vector<InstructionRef> sends(first.back());
  std::vector<int> fill(first.begin(), first.end() - 1);
  for (size_t s = 0; s < programs.size(); ++s) {
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i)
      if (IsSendOp(ins[i].op)) {
        const auto ch = channel_of_send(static_cast<int>(s), ins[i]);
        sends[fill[channels.Find(ch.first, ch.second)]++] = {static_cast<int>(s), static_cast<int>(i)};
      }
  }
  // Receives take their channel's sends in order.
  std::vector<int> next(first.begin(), first.end() - 1);
  std::vector<ReceiveMatch> out;
  out.reserve(sends.size());  // as many receives as sends in any program that matches
  for (size_t s = 0; s < programs.size(); ++s) {
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i) {
      if (!IsRecvOp(ins[i].op)) continue;
      ReceiveMatch m{{static_cast<int>(s), static_cast<int>(i)}, {}};
      const int c = channels.Find(ins[i].peer, 2 * int64_t{static_cast<int>(s)} + (ins[i].op == OpKind::kRecvGradient));
      if (c >= 0 && next[c] < first[c + 1]) m.send = sends[next[c]];
      if (c >= 0) ++next[c];
      out.push_back(m);
    }
  }
  return out;
}

std::vector<std::vector<InstructionRef>> MatchSends(const std::vector<Program>& programs) {
  std::vector<std::vector<InstructionRef>> match(programs.size());
  for (size_t s = 0; s < programs.size(); ++s) match[s].resize(programs[s].instructions.size());
  for (const ReceiveMatch& m : MatchReceives(programs)) match[m.receive.stage][m.receive.index] = m.send;
  return match;
}

}  // namespace parallax
