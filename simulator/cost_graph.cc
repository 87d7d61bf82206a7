// Builds the instruction DAG with Boost.Graph, orders it topologically (which
// also proves the programs cannot deadlock under these semantics), and times
// it by relaxing edges in that order. See cost_graph.h. The order is read off
// the programs (ProgramOrder) in one linear pass; Boost's topological_sort is
// the fallback that orders any other acyclic graph or reports the cycle.
#include "simulator/cost_graph.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/topological_sort.hpp>

#include "simulator/program_dependencies.h"

namespace parallax {

// Compressed sparse rows. Edges run from an instruction to each instruction it
// waits for, so they come out of the programs already sorted by source and the
// graph is built in one sequential pass; the flag says the instruction waits
// for the other's start, not its end (recv -> its matched send).
struct CostGraph::Dag {
  struct EdgeKind {
    bool on_start = false;
  };
  // 32-bit vertex and edge indices: half the memory of the size_t default.
  using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeKind, boost::no_property,
                                                   uint32_t, uint32_t>;
  Graph graph;
};

CostGraph::CostGraph(const std::vector<Program>& programs) : programs_(programs) {
  offset_.resize(programs.size() + 1, 0);
  for (size_t s = 0; s < programs.size(); ++s)
    offset_[s + 1] = offset_[s] + static_cast<int>(programs[s].instructions.size());
  num_vertices_ = offset_.back();

  const auto match = MatchSends(programs);
  // Usually about two edges per instruction (stream order, and a receive's send
  // or the compute op next to a p2p op); pages reserved but not written cost nothing.
  const size_t edges = 3 * num_vertices_;
  std::vector<Dag::Graph::vertex_descriptor> sources, targets;
  std::vector<Dag::EdgeKind> kinds;
  sources.reserve(edges);
  targets.reserve(edges);
  kinds.reserve(edges);
  auto add_edge = [&](int v, int u, bool on_start) {
    sources.push_back(v);
    targets.push_back(u);
    kinds.push_back({on_start});
  };
  for (size_t s = 0; s < programs.size(); ++s) {
    const int stage = static_cast<int>(s);
    const DependencyLists deps = DataDependencyLists(programs[s]);
    const auto& ins = programs[s].instructions;
    const std::vector<int> prev = StreamPredecessors(programs[s]);
    for (size_t i = 0; i < ins.size(); ++i) {
      const int v = Vertex(stage, static_cast<int>(i));
      if (prev[i] >= 0) add_edge(v, Vertex(stage, prev[i]), false);
      for (int k = deps.begin[i]; k < deps.begin[i + 1]; ++k) {
        const int d = deps.index[k];
        if (ins[d].stream != ins[i].stream) add_edge(v, Vertex(stage, d), false);  // else implied by stream order
      }
      if (IsRecvOp(ins[i].op)) {
        const InstructionRef ref = match[s][i];
        if (!ref.valid()) {
          throw std::invalid_argument("cost graph: stage " + std::to_string(s) + " instruction " + std::to_string(i) +
                                      " (" + ToString(ins[i]) + ") has no matching send");
        }
        add_edge(v, Vertex(ref.stage, ref.index), true);
      }
    }
  }
  num_edges_ = targets.size();
  auto dag = std::make_shared<Dag>();
  dag->graph = Dag::Graph(boost::construct_inplace_from_sources_and_targets, sources, targets, kinds, num_vertices_);
  dag_ = dag;
  if (ProgramOrder(match)) return;
  // Not ordered by the programs alone (a stage blocked on a receive whose send
  // is not yet placed): Boost's DFS orders the graph or proves a cycle. Its
  // output, reverse topological order of the wait-for edges, puts every
  // instruction after those it waits for.
  std::vector<Dag::Graph::vertex_descriptor> order;
  order.reserve(num_vertices_);
  try {
    boost::topological_sort(dag_->graph, std::back_inserter(order));
  } catch (const boost::not_a_dag&) {
    throw std::invalid_argument("cost graph: the programs deadlock (the instruction graph has a cycle)");
  }
  topo_order_.clear();
  for (const auto v : order) {
    const int stage = StageOf(static_cast<int>(v)), i = static_cast<int>(v) - offset_[stage];
    topo_order_.push_back({stage, i, i + 1});
  }
}

int CostGraph::StageOf(int vertex) const {
  return static_cast<int>(std::upper_bound(offset_.begin(), offset_.end(), vertex) - offset_.begin()) - 1;
}

// Every same-stage edge points forward in program order (stream predecessors
// and data dependencies are earlier instructions), so running each stage's
// program in order, a receive only once its matched send has been placed,
// yields a topological order of the graph whenever it places every
// instruction. A worklist of stages: a stage runs until it blocks on a
// receive, then waits on the sender's stage, which wakes it when it advances.
bool CostGraph::ProgramOrder(const std::vector<std::vector<InstructionRef>>& match) {
  const int stages = static_cast<int>(programs_.size());
  topo_order_.clear();
  size_t placed = 0;
  std::vector<int> cursor(stages, 0);
  std::vector<std::vector<int>> waiters(stages);
  std::vector<int> work(stages);
  for (int s = 0; s < stages; ++s) work[s] = stages - 1 - s;  // stage 0 first
  while (!work.empty()) {
    const int s = work.back();
    work.pop_back();
    const auto& ins = programs_[s].instructions;
    const int n = static_cast<int>(ins.size()), from = cursor[s];
    int i = from;
    for (; i < n; ++i) {
      if (IsRecvOp(ins[i].op)) {
        const InstructionRef send = match[s][i];
        if (cursor[send.stage] <= send.index) {
          waiters[send.stage].push_back(s);
          break;
        }
      }
      cursor[s] = i + 1;  // visible to a receive on this stage matched to this send
    }
    if (i == from) continue;  // no progress: whoever waits on s still waits
    topo_order_.push_back({s, from, i});
    placed += i - from;
    work.insert(work.end(), waiters[s].begin(), waiters[s].end());
    waiters[s].clear();
  }
  return placed == num_vertices_;
}

Timeline CostGraph::Schedule(const InstructionCost& cost) const {
  // times[2v] = start, times[2v + 1] = end of vertex v; end holds the duration
  // until v is timed. Every entry is written below (the order covers every
  // vertex), so the array is not zeroed first.
  Timeline tl;
  tl.offset_ = offset_;
  tl.times_ = std::shared_ptr<double[]>(new double[2 * num_vertices_]);
  double* const times = tl.times_.get();
  for (size_t s = 0; s < programs_.size(); ++s) {
    const auto& ins = programs_[s].instructions;
    double* t = times + 2 * offset_[s];
    for (size_t i = 0; i < ins.size(); ++i) t[2 * i + 1] = cost(static_cast<int>(s), static_cast<int>(i), ins[i]);
  }
  // Each instruction starts when everything it waits for has ended (or, for a
  // receive's matched send, started).
  const Dag::Graph& g = dag_->graph;
  for (const Run& run : topo_order_) {
    for (int v = offset_[run.stage] + run.from, last = offset_[run.stage] + run.to; v < last; ++v) {
      double t = 0;
      const auto edges = boost::out_edges(static_cast<Dag::Graph::vertex_descriptor>(v), g);
      for (auto e = edges.first; e != edges.second; ++e)
        t = std::max(t, times[2 * boost::target(*e, g) + (g[*e].on_start ? 0 : 1)]);
      times[2 * v] = t;
      times[2 * v + 1] += t;
    }
  }
  for (size_t v = 0; v < num_vertices_; ++v) tl.step_time_s = std::max(tl.step_time_s, times[2 * v + 1]);
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
  auto st = [&](int i) { return tl.start_s(stage, i); };
  auto en = [&](int i) { return tl.end_s(stage, i); };
  DependencyLists deps;  // computed at the first gap
  double cursor = 0;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (ins[i].stream != Stream::kCompute) continue;
    const double gap = st(static_cast<int>(i)) - cursor;
    if (gap > 0) {
      int binding = -1;
      if (deps.begin.empty()) deps = DataDependencyLists(programs_[stage]);
      for (int k = deps.begin[i]; k < deps.begin[i + 1]; ++k) {
        const int d = deps.index[k];
        if (binding < 0 || en(d) > en(binding)) binding = d;
      }
      if (binding >= 0 && ins[binding].stream == Stream::kDataParallel) {
        idle.dp_wait_s += gap;
      } else if (binding >= 0 && IsRecvOp(ins[binding].op)) {
        const double transfer = std::min(gap, en(binding) - st(binding));
        idle.pp_wait_s += transfer;
        idle.bubble_s += gap - transfer;
      } else {
        idle.bubble_s += gap;
      }
    }
    cursor = std::max(cursor, en(static_cast<int>(i)));
  }
  double dp_end = cursor;
  for (size_t i = 0; i < ins.size(); ++i)
    if (ins[i].stream == Stream::kDataParallel) dp_end = std::max(dp_end, en(static_cast<int>(i)));
  idle.dp_wait_s += dp_end - cursor;
  idle.bubble_s += tl.step_time_s - dp_end;
  return idle;
}

}  // namespace parallax
