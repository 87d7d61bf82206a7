// The cluster as a graph of GPUs, NVLink/NVSwitch domains (one per node), one
// NIC per GPU and a full-bisection network, and where a job's ranks sit on it.
// Ranks are placed in Megatron's grid order tp-cp-dp-pp (TP fastest; expert
// parallel ranks are carved out of dp x cp, stride tp), and rank r lives on node
// r / gpus_per_node. For each parallel group (tp, cp, ep, dp, pp neighbours) the
// topology says which links the group spans: inside one node (NVLink) or across
// nodes (network), how many nodes, how many group members share a node — so
// each collective is costed on the links it actually uses.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/config.h"

namespace parallax {

enum class GroupKind { kTp, kCp, kEp, kDp, kPp };
const char* GroupName(GroupKind kind);

// Coordinates of a global rank in the tp-cp-dp-pp grid.
struct RankCoords {
  int tp = 0, cp = 0, dp = 0, pp = 0;
};

// Where one parallel group sits: the widest group of its kind (most nodes,
// then fewest members on one node); the groups of a kind differ only where a
// group straddles a node boundary (tp 6 on 8-GPU nodes), and the step waits
// for the slowest.
struct GroupSpan {
  GroupKind kind = GroupKind::kTp;
  int size = 1;            // ranks in the group (pp: 2, a neighbour pair)
  int stride = 1;          // global-rank distance between consecutive members
  int nodes = 1;           // distinct nodes the group touches
  int ranks_per_node = 1;  // members on the group's emptiest node (size / nodes when even)
  bool inter_node() const { return nodes > 1; }
};

// Vertices of the cluster graph: GPUs, per-node NVSwitches, per-GPU NICs and
// the network core. Edges carry the LinkSpec bandwidth (per direction).
struct TopologyEdge {
  int from = 0, to = 0;
  double bytes_per_s = 0;
};
struct ClusterGraph {
  enum class VertexKind { kGpu, kNvSwitch, kNic, kNetwork };
  std::vector<VertexKind> vertices;
  std::vector<TopologyEdge> edges;
  int gpu_vertex(int rank) const { return rank; }  // GPUs come first
};

class Topology {
 public:
  // Throws SpecError if the job needs more GPUs than the cluster has.
  Topology(const ClusterSpec& cluster, const ParallelConfig& parallel);

  int world_size() const { return world_; }
  int NodeOf(int rank) const { return rank / gpus_per_node_; }
  int RankOf(const RankCoords& c) const;
  RankCoords CoordsOf(int rank) const;
  const GroupSpan& Span(GroupKind kind) const { return spans_[static_cast<int>(kind)]; }

  // GPUs of the job's nodes, one NVSwitch per node, one NIC per GPU, one
  // network vertex (full-bisection fat tree); for reports and tests.
  ClusterGraph Graph() const;
  // Links on the path between two ranks: "nvlink" (same node) or "network".
  std::string PathBetween(int rank_a, int rank_b) const;

 private:
  GroupSpan MakeSpan(GroupKind kind, int size, int stride) const;

  ClusterSpec cluster_;
  ParallelConfig parallel_;
  int world_ = 1;
  int gpus_per_node_ = 1;
  std::vector<GroupSpan> spans_;
};

}  // namespace parallax
