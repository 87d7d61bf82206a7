// All pipeline stages' programs as one DAG: a vertex per instruction; an edge from an instruction to each one it waits for: stream
// order on each stage, data dependencies on a stage (program_dependencies.h:
// F after its RECV, B after its F, a DP reduce after the backward that
// produced its gradients, OPT after the reduces, ...) and recv -> matched send
// across stages. One data-parallel replica is simulated:
// all DP ranks of a stage run the same program at the same time, so a DP
// collective's join is the rank itself. Timing is the longest path with
// per-vertex durations: each stream runs its instructions in program order
// (compute serial; p2p and DP streams overlap with compute); a receive's
// transfer starts when both it and its matched send have started. The graph
// is held as compressed sparse rows of its own (what the timing pass reads);
// a Boost.Graph CSR copy is built only when the programs' own order cannot
// place every instruction, for Boost's topological sort (which orders any
// acyclic graph and proves deadlocks), and on request for verification.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "simulator/program.h"
#include "simulator/program_dependencies.h"

namespace parallax {

// Start/end of every instruction, in one contiguous array (the timing pass
// writes it in place; no per-stage vectors). Copies share the array.
class Timeline {
 public:
  double start_s(int stage, int index) const { return times_[2 * (offset_[stage] + index)]; }
  double end_s(int stage, int index) const { return times_[2 * (offset_[stage] + index) + 1]; }
  int num_stages() const { return static_cast<int>(offset_.size()) - 1; }
  int num_instructions(int stage) const { return offset_[stage + 1] - offset_[stage]; }
  double step_time_s = 0;  // latest end over all stages

 private:
  friend class CostGraph;
  std::shared_ptr<double[]> times_;  // [2v] start, [2v + 1] end of vertex v (stages back to back)
  std::vector<int> offset_{0};       // first vertex of each stage, then the total
};

// Duration of instruction `index` of stage `stage`, in seconds.
using InstructionCost = std::function<double(int stage, int index, const Instruction& instruction)>;

// Idle time of a stage's compute stream within [0, step end], by what it
// waited for: a transfer in flight (pp), a DP collective (dp), else another
// stage's work (bubble). Sums to the step time minus the compute busy time.
struct ComputeIdle {
  double bubble_s = 0;
  double pp_wait_s = 0;
  double dp_wait_s = 0;
};

class CostGraph {
 public:
  // How the topological order is found: from the programs (a linear pass;
  // Boost's sort only if that cannot place every instruction), or always with
  // boost::topological_sort (tests compare the two).
  enum class Order { kPrograms, kBoost };

  // Throws std::invalid_argument if a receive has no matching send or the
  // programs deadlock (the graph has a cycle). Keeps a reference to
  // `programs`, which must outlive the graph; only their structure (ops,
  // streams, order) is used, so one graph serves programs that differ in bytes.
  explicit CostGraph(const std::vector<Program>& programs, Order order = Order::kPrograms);

  size_t num_vertices() const { return num_vertices_; }
  size_t num_edges() const { return num_edges_; }

  Timeline Schedule(const InstructionCost& cost) const;
  ComputeIdle IdleOf(const Timeline& timeline, int stage) const;

 private:
  // Instructions [from, to) of one stage, consecutive in topological order.
  struct Run {
    int stage, from, to;
  };

  int Vertex(int stage, int index) const { return offset_[stage] + index; }
  int StageOf(int vertex) const;
  // receives[receive_begin[s] .. receive_begin[s + 1]) are stage s's, in program order.
  bool ProgramOrder(const std::vector<ReceiveMatch>& receives, const std::vector<int>& receive_begin);
  void BoostOrder();

  const std::vector<Program>& programs_;
  std::vector<int> offset_;  // first vertex of each stage
  // Wait-for edges of vertex v: waits_for_[edge_begin_[v] .. edge_begin_[v + 1]),
  // each the slot of the awaited time in Timeline's array: 2u + 1 for the
  // end of u, 2u for its start (a receive waits for its matched send's start).
  std::unique_ptr<uint32_t[]> edge_begin_, waits_for_;  // num_vertices + 1, num_edges (or more) entries
  std::vector<Run> topo_order_;  // the vertices in topological order, as runs
  size_t num_vertices_ = 0, num_edges_ = 0;
};

}  // namespace parallax
