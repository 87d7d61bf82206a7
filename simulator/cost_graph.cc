// Builds the instruction DAG as compressed sparse rows, orders it
// topologically (which also proves the programs cannot deadlock under these
// semantics), and times it by relaxing edges in that order. See cost_graph.h.
// The order is read off the programs (ProgramOrder) in one linear pass;
// Boost's topological_sort, on a Boost.Graph CSR copy of the same edges, is the
// fallback that orders any other acyclic graph or reports the cycle.
#include "simulator/cost_graph.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/topological_sort.hpp>

#include "simulator/program_dependencies.h"

namespace parallax {

CostGraph::CostGraph(const std::vector<Program>& programs, Order order) : programs_(programs) {
  offset_.resize(programs.size() + 1, 0);
  for (size_t s = 0; s < programs.size(); ++s) {
    const size_t n = offset_[s] + programs[s].instructions.size();
    // Slots 2v + 1 must fit the 32-bit edge entries.
    if (n > std::numeric_limits<uint32_t>::max() / 2 - 1)
      throw std::invalid_argument("cost graph: more than 2^31 instructions");
    offset_[s + 1] = static_cast<int>(n);
  }
  num_vertices_ = offset_.back();

  const std::vector<ReceiveMatch> receives = MatchReceives(programs);  // stage by stage, in program order
  // Every vertex has at most one stream predecessor, its data dependencies and
  // one matched send. The arrays are written through raw pointers (no growth
  // checks, no zero-fill); the edge array is reserved for three per vertex
  // (pages reserved but not written cost nothing) and grown, rarely, when a
  // stage's bound does not fit. Each stage's dependency lists are freed before
  // the next stage's, so the allocator reuses their pages.
  edge_begin_.reset(new uint32_t[num_vertices_ + 1]);
  size_t capacity = 3 * num_vertices_;
  waits_for_.reset(new uint32_t[capacity]);
  uint32_t* begin = edge_begin_.get();
  uint32_t* out = waits_for_.get();
  uint32_t* first_edge = out;
  std::vector<int> receive_begin(programs.size() + 1, 0);  // for ProgramOrder, which only stops at receives
  size_t next_receive = 0;
  for (size_t s = 0; s < programs.size(); ++s) {
    const uint32_t base = 2 * static_cast<uint32_t>(offset_[s]);
    const DependencyLists d = DataDependencyLists(programs[s]);
    const auto& ins = programs[s].instructions;
    const size_t used = out - first_edge, need = used + 2 * ins.size() + d.index.size();
    if (need > capacity) {
      capacity = std::max(need, 2 * capacity);
      std::unique_ptr<uint32_t[]> grown(new uint32_t[capacity]);
      std::copy(first_edge, out, grown.get());
      waits_for_ = std::move(grown);
      first_edge = waits_for_.get();
      out = first_edge + used;
    }
    int last[3] = {-1, -1, -1};  // latest instruction on each stream (by Stream)
    for (size_t i = 0; i < ins.size(); ++i) {
      *begin++ = static_cast<uint32_t>(out - first_edge);
      int& prev = last[static_cast<int>(ins[i].stream)];
      if (prev >= 0) *out++ = base + 2 * static_cast<uint32_t>(prev) + 1;  // its end
      prev = static_cast<int>(i);
      for (int k = d.begin[i]; k < d.begin[i + 1]; ++k) {
        const int j = d.index[k];
        if (ins[j].stream != ins[i].stream) *out++ = base + 2 * static_cast<uint32_t>(j) + 1;  // else implied by stream order
      }
      if (IsRecvOp(ins[i].op)) {
        const InstructionRef ref = receives[next_receive++].send;
        if (!ref.valid()) {
          throw std::invalid_argument("cost graph: stage " + std::to_string(s) + " instruction " + std::to_string(i) +
                                      " (" + ToString(ins[i]) + ") has no matching send");
        }
        *out++ = 2 * static_cast<uint32_t>(offset_[ref.stage] + ref.index);  // its start
      }
    }
    receive_begin[s + 1] = static_cast<int>(next_receive);
  }
  *begin = static_cast<uint32_t>(out - first_edge);
  num_edges_ = out - first_edge;
  if (order == Order::kPrograms && ProgramOrder(receives, receive_begin)) return;
  // Not ordered by the programs alone (a stage blocked on a receive whose send
  // is not yet placed), or asked for: Boost's DFS orders the graph or proves a
  // cycle.
  BoostOrder();
}

// The same wait-for edges as a Boost.Graph CSR (32-bit indices); its
// topological sort's output, reverse topological order of the wait-for edges,
// puts every instruction after those it waits for.
void CostGraph::BoostOrder() {
  using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                   boost::no_property, uint32_t, uint32_t>;
  std::vector<uint32_t> sources(num_edges_), targets(num_edges_);
  for (size_t v = 0; v < num_vertices_; ++v) {
    for (uint32_t k = edge_begin_[v]; k < edge_begin_[v + 1]; ++k) {
      sources[k] = static_cast<uint32_t>(v);
      targets[k] = waits_for_[k] / 2;
    }
  }
  const Graph graph(boost::construct_inplace_from_sources_and_targets, sources, targets, num_vertices_);
  std::vector<Graph::vertex_descriptor> order;
  order.reserve(num_vertices_);
  try {
    boost::topological_sort(graph, std::back_inserter(order));
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
bool CostGraph::ProgramOrder(const std::vector<ReceiveMatch>& receives, const std::vector<int>& receive_begin) {
  const int stages = static_cast<int>(programs_.size());
  topo_order_.clear();
  // A run ends at a receive or at the end of its program: no more runs than
  // that (reserved, so the vector never grows and copies).
  topo_order_.reserve(receives.size() + stages);
  size_t placed = 0;
  std::vector<int> cursor(stages, 0);
  std::vector<int> next_receive(receive_begin.begin(), receive_begin.end() - 1);  // first not yet placed
  std::vector<std::vector<int>> waiters(stages);
  std::vector<int> work(stages);
  for (int s = 0; s < stages; ++s) work[s] = stages - 1 - s;  // stage 0 first
  while (!work.empty()) {
    const int s = work.back();
    work.pop_back();
    const int n = static_cast<int>(programs_[s].instructions.size()), from = cursor[s];
    // Everything up to the next receive is placed; the receive too once its
    // send is (cursor[s] first: a receive may be matched to a send of its own stage).
    int i = n;
    for (int& r = next_receive[s]; r < receive_begin[s + 1]; ++r) {
      const ReceiveMatch& recv = receives[r];
      cursor[s] = recv.receive.index;
      if (cursor[recv.send.stage] <= recv.send.index) {
        waiters[recv.send.stage].push_back(s);
        i = recv.receive.index;
        break;
      }
    }
    cursor[s] = i;
    if (i == from) continue;  // no progress: whoever waits on s still waits
    topo_order_.push_back({s, from, i});
    placed += i - from;
    work.insert(work.end(), waiters[s].begin(), waiters[s].end());
    waiters[s].clear();
  }
  return placed == num_vertices_;
}

Timeline CostGraph::Schedule(const InstructionCost& cost) const {
  // times[2v] = start, times[2v + 1] = end of vertex v. Every entry is written
  // below (the order covers every vertex), so the array is not zeroed first.
  Timeline tl;
  tl.offset_ = offset_;
  tl.times_ = std::shared_ptr<double[]>(new double[2 * num_vertices_]);
  double* const times = tl.times_.get();
  const uint32_t* const begin = edge_begin_.get();
  const uint32_t* const waits_for = waits_for_.get();
  // Each instruction starts when everything it waits for has ended (or, for a
  // receive's matched send, started), and runs for its cost.
  for (const Run& run : topo_order_) {
    const auto& ins = programs_[run.stage].instructions;
    const int first = offset_[run.stage];
    for (int i = run.from; i < run.to; ++i) {
      const int v = first + i;
      const double duration = cost(run.stage, i, ins[i]);  // first: t stays in a register
      double t = 0;
      for (uint32_t k = begin[v], last = begin[v + 1]; k < last; ++k) t = std::max(t, times[waits_for[k]]);
      times[2 * v] = t;
      times[2 * v + 1] = duration + t;
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
