// Builds the instruction DAG with Boost.Graph, orders it topologically (which
// also proves the programs cannot deadlock under these semantics), and times
// it by relaxing edges in that order. See cost_graph.h.
#include "simulator/cost_graph.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/topological_sort.hpp>

#include "simulator/program_dependencies.h"

namespace parallax {
namespace {

struct EdgeKind {
  bool from_start = false;
};
// Compressed sparse rows: built from the edge list in one pass, no per-edge allocation.
using Dag = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeKind>;

}  // namespace

CostGraph::CostGraph(const std::vector<Program>& programs) : programs_(programs) {
  offset_.resize(programs.size() + 1, 0);
  for (size_t s = 0; s < programs.size(); ++s)
    offset_[s + 1] = offset_[s] + static_cast<int>(programs[s].instructions.size());
  num_vertices_ = offset_.back();

  std::vector<std::pair<int, int>> edges;
  std::vector<EdgeKind> kinds;
  edges.reserve(num_vertices_ * 3);
  kinds.reserve(num_vertices_ * 3);
  const auto match = MatchSends(programs);
  data_deps_.resize(programs.size());
  for (size_t s = 0; s < programs.size(); ++s) {
    const int stage = static_cast<int>(s);
    const std::vector<int> prev = StreamPredecessors(programs[s]);
    data_deps_[s] = DataDependencies(programs[s]);
    const auto& ins = programs[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i) {
      const int v = Vertex(stage, static_cast<int>(i));
      if (prev[i] >= 0) {
        edges.emplace_back(Vertex(stage, prev[i]), v);
        kinds.push_back({false});
      }
      for (int d : data_deps_[s][i]) {
        if (ins[d].stream == ins[i].stream) continue;  // implied by stream order (d < i)
        edges.emplace_back(Vertex(stage, d), v);
        kinds.push_back({false});
      }
      if (IsRecvOp(ins[i].op)) {
        const InstructionRef ref = match[s][i];
        if (!ref.valid()) {
          throw std::invalid_argument("cost graph: stage " + std::to_string(s) + " instruction " + std::to_string(i) +
                                      " (" + ToString(ins[i]) + ") has no matching send");
        }
        edges.emplace_back(Vertex(ref.stage, ref.index), v);
        kinds.push_back({true});
      }
    }
  }
  num_edges_ = edges.size();
  const Dag dag(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(), kinds.begin(), num_vertices_);
  std::vector<Dag::vertex_descriptor> reverse_order;
  reverse_order.reserve(num_vertices_);
  try {
    boost::topological_sort(dag, std::back_inserter(reverse_order));
  } catch (const boost::not_a_dag&) {
    throw std::invalid_argument("cost graph: the programs deadlock (the instruction graph has a cycle)");
  }
  topo_order_.assign(reverse_order.rbegin(), reverse_order.rend());
  // Copy the out-edges for the timing pass (plain arrays in the hot loop).
  out_begin_.assign(num_vertices_ + 1, 0);
  out_target_.reserve(num_edges_);
  out_from_start_.reserve(num_edges_);
  for (size_t v = 0; v < num_vertices_; ++v) {
    auto range = boost::out_edges(v, dag);
    for (auto e = range.first; e != range.second; ++e) {
      out_target_.push_back(static_cast<int>(boost::target(*e, dag)));
      out_from_start_.push_back(dag[*e].from_start);
    }
    out_begin_[v + 1] = static_cast<int>(out_target_.size());
  }
}

Timeline CostGraph::Schedule(const InstructionCost& cost) const {
  std::vector<double> duration(num_vertices_), start(num_vertices_, 0.0), end(num_vertices_, 0.0);
  for (size_t s = 0; s < programs_.size(); ++s) {
    const auto& ins = programs_[s].instructions;
    for (size_t i = 0; i < ins.size(); ++i) duration[Vertex(static_cast<int>(s), static_cast<int>(i))] = cost(static_cast<int>(s), static_cast<int>(i), ins[i]);
  }
  for (int v : topo_order_) {
    end[v] = start[v] + duration[v];
    for (int k = out_begin_[v]; k < out_begin_[v + 1]; ++k) {
      const int t = out_target_[k];
      start[t] = std::max(start[t], out_from_start_[k] ? start[v] : end[v]);
    }
  }
  Timeline tl;
  tl.start_s.resize(programs_.size());
  tl.end_s.resize(programs_.size());
  for (size_t s = 0; s < programs_.size(); ++s) {
    tl.start_s[s].assign(start.begin() + offset_[s], start.begin() + offset_[s + 1]);
    tl.end_s[s].assign(end.begin() + offset_[s], end.begin() + offset_[s + 1]);
    for (double e : tl.end_s[s]) tl.step_time_s = std::max(tl.step_time_s, e);
  }
  return tl;
}

// Walks the compute stream: each gap before a compute-stream instruction is
// charged to its latest-finishing same-stage dependency — a receive: the
// transfer (at most the receive's duration) is pp wait, the rest bubble (the
// sender was late); a DP collective: dp wait. After the last compute
// instruction: DP work still running on this stage is dp wait, the rest of
// the step (other stages finishing) is bubble.
ComputeIdle CostGraph::IdleOf(const Timeline& tl, int stage) const {
  ComputeIdle idle;
  const auto& ins = programs_[stage].instructions;
  const auto& st = tl.start_s[stage];
  const auto& en = tl.end_s[stage];
  double cursor = 0;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (ins[i].stream != Stream::kCompute) continue;
    const double gap = st[i] - cursor;
    if (gap > 0) {
      int binding = -1;
      for (int d : data_deps_[stage][i])
        if (binding < 0 || en[d] > en[binding]) binding = d;
      if (binding >= 0 && ins[binding].stream == Stream::kDataParallel) {
        idle.dp_wait_s += gap;
      } else if (binding >= 0 && IsRecvOp(ins[binding].op)) {
        const double transfer = std::min(gap, en[binding] - st[binding]);
        idle.pp_wait_s += transfer;
        idle.bubble_s += gap - transfer;
      } else {
        idle.bubble_s += gap;
      }
    }
    cursor = std::max(cursor, en[i]);
  }
  double dp_end = cursor;
  for (size_t i = 0; i < ins.size(); ++i)
    if (ins[i].stream == Stream::kDataParallel) dp_end = std::max(dp_end, en[i]);
  idle.dp_wait_s += dp_end - cursor;
  idle.bubble_s += tl.step_time_s - dp_end;
  return idle;
}

}  // namespace parallax
