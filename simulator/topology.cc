// Rank placement and group spans; see topology.h.
#include "simulator/topology.h"

#include <algorithm>

#include "core/errors.h"

namespace parallax {

const char* GroupName(GroupKind kind) {
  switch (kind) {
    case GroupKind::kTp: return "tp";
    case GroupKind::kCp: return "cp";
    case GroupKind::kEp: return "ep";
    case GroupKind::kDp: return "dp";
    case GroupKind::kPp: return "pp";
  }
  return "?";
}

Topology::Topology(const ClusterSpec& cluster, const ParallelConfig& parallel)
    : cluster_(cluster), parallel_(parallel) {
  world_ = parallel.gpus();
  gpus_per_node_ = std::max(1, cluster.gpus_per_node);
  if (cluster.max_gpus() > 0 && world_ > cluster.max_gpus()) {
    throw SpecError("--gpus: tp x pp x dp x cp = " + std::to_string(world_) + " is more than cluster " +
                    cluster.name + " has (" + std::to_string(cluster.max_gpus()) + ")");
  }
  const int tp = parallel.tp, cp = parallel.cp, dp = parallel.dp;
  spans_.resize(5);
  spans_[static_cast<int>(GroupKind::kTp)] = MakeSpan(GroupKind::kTp, tp, 1);
  spans_[static_cast<int>(GroupKind::kCp)] = MakeSpan(GroupKind::kCp, cp, tp);
  spans_[static_cast<int>(GroupKind::kEp)] = MakeSpan(GroupKind::kEp, parallel.ep, tp);
  spans_[static_cast<int>(GroupKind::kDp)] = MakeSpan(GroupKind::kDp, dp, tp * cp);
  spans_[static_cast<int>(GroupKind::kPp)] = MakeSpan(GroupKind::kPp, parallel.pp > 1 ? 2 : 1, tp * cp * dp);
}

// Every group of the kind is examined (not only rank 0's): a group that
// straddles a node boundary (tp 6 on 8-GPU nodes: ranks 6..11) sets the span,
// since the collective runs in all groups at once and the step waits for the
// slowest. The widest group wins (most nodes, then fewest members on its
// emptiest node, whose NICs carry the most). Pipeline neighbours are every
// pair (r, r + stride). The layout repeats every size x stride x node ranks,
// so only groups starting before that are scanned.
GroupSpan Topology::MakeSpan(GroupKind kind, int size, int stride) const {
  GroupSpan g;
  g.kind = kind;
  g.size = std::max(1, size);
  g.stride = stride;
  g.nodes = 0;
  const bool pairs = kind == GroupKind::kPp;
  const long long period = static_cast<long long>(g.size) * stride * gpus_per_node_;
  const long long last_start = std::min<long long>(period, world_ - static_cast<long long>(g.size - 1) * stride);
  for (long long r = 0; r < std::max(1LL, last_start); ++r) {
    if (!pairs && (r / stride) % g.size) continue;  // not the first member of its group
    int nodes = 0, run = 0, min_run = g.size;
    for (int i = 0, prev = -1; i < g.size; ++i) {
      const int node = NodeOf(static_cast<int>(r + static_cast<long long>(i) * stride));
      if (node != prev) {
        if (run) min_run = std::min(min_run, run);
        ++nodes, run = 0, prev = node;
      }
      ++run;
    }
    min_run = std::min(min_run, run);
    if (nodes > g.nodes || (nodes == g.nodes && min_run < g.ranks_per_node)) g.nodes = nodes, g.ranks_per_node = min_run;
  }
  return g;
}

int Topology::RankOf(const RankCoords& c) const {
  const ParallelConfig& p = parallel_;
  return c.tp + p.tp * (c.cp + p.cp * (c.dp + p.dp * c.pp));
}

RankCoords Topology::CoordsOf(int rank) const {
  const ParallelConfig& p = parallel_;
  RankCoords c;
  c.tp = rank % p.tp;
  rank /= p.tp;
  c.cp = rank % p.cp;
  rank /= p.cp;
  c.dp = rank % p.dp;
  c.pp = rank / p.dp;
  return c;
}

ClusterGraph Topology::Graph() const {
  ClusterGraph g;
  const int nodes = (world_ + gpus_per_node_ - 1) / gpus_per_node_;
  const int gpus = nodes * gpus_per_node_;
  g.vertices.assign(gpus, ClusterGraph::VertexKind::kGpu);
  const int switch0 = gpus;
  for (int n = 0; n < nodes; ++n) g.vertices.push_back(ClusterGraph::VertexKind::kNvSwitch);
  const int nic0 = static_cast<int>(g.vertices.size());
  const bool networked = nodes > 1 || cluster_.inter_node.bytes_per_s > 0;
  if (networked)
    for (int r = 0; r < gpus; ++r) g.vertices.push_back(ClusterGraph::VertexKind::kNic);
  const int network = static_cast<int>(g.vertices.size());
  if (networked) g.vertices.push_back(ClusterGraph::VertexKind::kNetwork);
  for (int r = 0; r < gpus; ++r) {
    g.edges.push_back({r, switch0 + r / gpus_per_node_, cluster_.intra_node.bytes_per_s});
    if (networked) {
      g.edges.push_back({r, nic0 + r, cluster_.inter_node.bytes_per_s});
      g.edges.push_back({nic0 + r, network, cluster_.inter_node.bytes_per_s});
    }
  }
  return g;
}

std::string Topology::PathBetween(int rank_a, int rank_b) const {
  return NodeOf(rank_a) == NodeOf(rank_b) ? "nvlink" : "network";
}

}  // namespace parallax
