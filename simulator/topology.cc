// Rank placement and group spans; see topology.h.
#include "simulator/topology.h"

#include <algorithm>
#include <vector>

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

namespace {

long long CeilDiv(long long a, long long b) {  // b > 0
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

struct NodeSpread {
  int nodes = 1, min_run = 1;  // nodes touched, members on the emptiest one
};

// The group of `size` members r, r + stride, ... on nodes of `gpn` GPUs. With
// stride >= gpn every member has a node of its own; otherwise consecutive
// members are at most one node apart, so the nodes from the first member's to
// the last's are all touched, and node n holds the members i with
// n·gpn <= r + i·stride < (n + 1)·gpn. Depends on r only through r mod gpn.
NodeSpread SpreadFrom(long long r, int size, int stride, int gpn) {
  NodeSpread s;
  if (size <= 1) return s;
  if (stride >= gpn) return {size, 1};
  const long long first = r / gpn, last = (r + static_cast<long long>(size - 1) * stride) / gpn;
  long long min_run = size;
  for (long long n = first; n <= last; ++n) {
    const long long lo = std::max(0LL, CeilDiv(n * gpn - r, stride));
    const long long hi = std::min<long long>(size - 1, CeilDiv((n + 1) * gpn - r, stride) - 1);
    min_run = std::min(min_run, hi - lo + 1);
  }
  s.nodes = static_cast<int>(last - first + 1);
  s.min_run = static_cast<int>(min_run);
  return s;
}

}  // namespace

// Every group of the kind is examined (not only rank 0's): a group that
// straddles a node boundary (tp 6 on 8-GPU nodes: ranks 6..11) sets the span,
// since the collective runs in all groups at once and the step waits for the
// slowest. The widest group wins (most nodes, then fewest members on its
// emptiest node, whose NICs carry the most). Pipeline neighbours are every
// pair (r, r + stride). A group's spread depends only on its first rank modulo
// the node size, so the first ranks are visited in order (the layout repeats
// every size x stride x node ranks) until every residue has been seen.
GroupSpan Topology::MakeSpan(GroupKind kind, int size, int stride) const {
  GroupSpan g;
  g.kind = kind;
  g.size = std::max(1, size);
  g.stride = stride;
  g.nodes = 0;
  const bool pairs = kind == GroupKind::kPp;
  const long long period = static_cast<long long>(g.size) * stride * gpus_per_node_;
  const long long end = std::max(1LL, std::min<long long>(period, world_ - static_cast<long long>(g.size - 1) * stride));
  std::vector<char> seen(gpus_per_node_, 0);
  int distinct = 0;
  auto visit = [&](long long r) {  // false once every residue is seen
    char& s = seen[r % gpus_per_node_];
    if (s) return true;
    s = 1;
    const NodeSpread n = SpreadFrom(r, g.size, stride, gpus_per_node_);
    if (n.nodes > g.nodes || (n.nodes == g.nodes && n.min_run < g.ranks_per_node)) g.nodes = n.nodes, g.ranks_per_node = n.min_run;
    return ++distinct < gpus_per_node_;
  };
  // First members: every rank for neighbour pairs; else the first `stride`
  // ranks of each block of size x stride.
  const long long block = pairs ? 1 : static_cast<long long>(g.size) * stride, run = pairs ? 1 : stride;
  for (long long base = 0; base < end; base += block)
    for (long long r = base; r < std::min(end, base + run); ++r)
      if (!visit(r)) return g;
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
