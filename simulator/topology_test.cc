// Rank placement in Megatron's tp-cp-dp-pp order on 8-GPU nodes: which groups
// stay inside a node and which cross the network, checked by hand-placing the
// ranks (rank = tp + tp·(cp + cp·(dp + dp·pp)), node = rank / 8).
#include "simulator/topology.h"

#include <map>
#include <utility>

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/errors.h"

namespace parallax {
namespace {

ParallelConfig Grid(int tp, int pp, int dp, int cp = 1) {
  ParallelConfig p;
  p.tp = tp;
  p.pp = pp;
  p.dp = dp;
  p.cp = cp;
  return p;
}

TEST(Topology, Tp8GroupsStayInNodeDpAndPpCross) {
  const ClusterSpec c = ResolveCluster("dgx-a100-80g");
  const Topology t(c, Grid(8, 2, 4));
  EXPECT_FALSE(t.Span(GroupKind::kTp).inter_node());
  EXPECT_EQ(t.Span(GroupKind::kTp).nodes, 1);
  // dp members are ranks 0, 8, 16, 24: four nodes, one member each.
  EXPECT_EQ(t.Span(GroupKind::kDp).nodes, 4);
  EXPECT_EQ(t.Span(GroupKind::kDp).ranks_per_node, 1);
  // pp neighbours: ranks 0 and 32.
  EXPECT_TRUE(t.Span(GroupKind::kPp).inter_node());
  EXPECT_EQ(t.PathBetween(0, 32), "network");
}

TEST(Topology, SmallTpKeepsDpInsideOrAcrossByCount) {
  const ClusterSpec c = ResolveCluster("dgx-a100-80g");
  // tp 2 dp 4: dp ranks 0, 2, 4, 6 -> one node.
  const Topology a(c, Grid(2, 1, 4));
  EXPECT_FALSE(a.Span(GroupKind::kDp).inter_node());
  // tp 4 dp 4: dp ranks 0, 4, 8, 12 -> two nodes, two members each (hierarchical).
  const Topology b(c, Grid(4, 1, 4));
  EXPECT_EQ(b.Span(GroupKind::kDp).nodes, 2);
  EXPECT_EQ(b.Span(GroupKind::kDp).ranks_per_node, 2);
  // tp 2 pp 2 dp 2: pp neighbours 0 and 4 share a node.
  const Topology d(c, Grid(2, 2, 2));
  EXPECT_FALSE(d.Span(GroupKind::kPp).inter_node());
  // tp 16 spans two nodes.
  const Topology e(c, Grid(16, 1, 1));
  EXPECT_EQ(e.Span(GroupKind::kTp).nodes, 2);
  // cp sits between tp and dp: tp 4 cp 2 -> cp ranks 0, 4 on one node.
  const Topology f(c, Grid(4, 1, 2, 2));
  EXPECT_EQ(f.Span(GroupKind::kCp).stride, 4);
  EXPECT_FALSE(f.Span(GroupKind::kCp).inter_node());
  EXPECT_EQ(f.Span(GroupKind::kDp).stride, 8);
  EXPECT_TRUE(f.Span(GroupKind::kDp).inter_node());
}

TEST(Topology, GroupStraddlingANodeBoundarySetsTheSpan) {
  const ClusterSpec c = ResolveCluster("dgx-a100-80g");
  // tp 6 dp 4: rank 0's group 0..5 fits node 0, but 6..11 straddles nodes 0
  // and 1 (2 + 4 members), 12..17 nodes 1 and 2 (4 + 2).
  const Topology t(c, Grid(6, 1, 4));
  EXPECT_TRUE(t.Span(GroupKind::kTp).inter_node());
  EXPECT_EQ(t.Span(GroupKind::kTp).nodes, 2);
  EXPECT_EQ(t.Span(GroupKind::kTp).ranks_per_node, 2);
  // tp 2 pp 4 dp 2: neighbours (0, 4) share node 0 but (4, 8) cross to node 1.
  const Topology u(c, Grid(2, 4, 2));
  EXPECT_TRUE(u.Span(GroupKind::kPp).inter_node());
  // tp 8: every group is one node.
  EXPECT_FALSE(Topology(c, Grid(8, 4, 4)).Span(GroupKind::kTp).inter_node());
}

// Reference: every group of the kind placed rank by rank (the widest wins:
// most nodes, then fewest members on its emptiest node).
std::pair<int, int> WidestByHand(const Topology& t, GroupKind kind, int size, int stride) {
  int best_nodes = 0, best_run = 0;
  const bool pairs = kind == GroupKind::kPp;
  for (int r = 0; r + (size - 1) * stride < t.world_size(); ++r) {
    if (!pairs && (r / stride) % size) continue;
    std::map<int, int> per_node;
    for (int i = 0; i < size; ++i) ++per_node[t.NodeOf(r + i * stride)];
    int run = size;
    for (const auto& [node, n] : per_node) run = std::min(run, n);
    const int nodes = static_cast<int>(per_node.size());
    if (nodes > best_nodes || (nodes == best_nodes && run < best_run)) best_nodes = nodes, best_run = run;
  }
  return {best_nodes, best_run};
}

TEST(Topology, SpansMatchPlacingEveryGroupByHand) {
  int checked = 0;
  for (int gpn : {4, 6, 8}) {
    ClusterSpec c = ResolveCluster("dgx-a100-80g");
    c.gpus_per_node = gpn;
    for (int tp : {1, 2, 3, 4, 6, 8, 16})
      for (int cp : {1, 2, 3})
        for (int dp : {1, 2, 3, 5, 8})
          for (int pp : {1, 2, 3, 4}) {
            const Topology t(c, Grid(tp, pp, dp, cp));
            const struct {
              GroupKind kind;
              int size, stride;
            } groups[] = {{GroupKind::kTp, tp, 1},
                          {GroupKind::kCp, cp, tp},
                          {GroupKind::kDp, dp, tp * cp},
                          {GroupKind::kPp, pp > 1 ? 2 : 1, tp * cp * dp}};
            for (const auto& grp : groups) {
              const GroupSpan& s = t.Span(grp.kind);
              const auto [nodes, run] = WidestByHand(t, grp.kind, grp.size, grp.stride);
              EXPECT_EQ(s.nodes, nodes) << GroupName(grp.kind) << " tp" << tp << " cp" << cp << " dp" << dp << " pp" << pp
                                        << " gpn" << gpn;
              EXPECT_EQ(s.ranks_per_node, run) << GroupName(grp.kind) << " tp" << tp << " cp" << cp << " dp" << dp
                                               << " pp" << pp << " gpn" << gpn;
              ++checked;
            }
          }
  }
  EXPECT_EQ(checked, 3 * 7 * 3 * 5 * 4 * 4);
}

TEST(Topology, CoordsRoundTripTpFastest) {
  const ClusterSpec c = ResolveCluster("dgx-a100-80g");
  const Topology t(c, Grid(2, 3, 4, 2));
  for (int r = 0; r < t.world_size(); ++r) EXPECT_EQ(t.RankOf(t.CoordsOf(r)), r);
  const RankCoords c5 = t.CoordsOf(5);  // 5 = 1 + 2·(0 + 2·1)
  EXPECT_EQ(c5.tp, 1);
  EXPECT_EQ(c5.cp, 0);
  EXPECT_EQ(c5.dp, 1);
  EXPECT_EQ(c5.pp, 0);
}

TEST(Topology, GraphHasSwitchPerNodeAndNicPerGpu) {
  const ClusterSpec c = ResolveCluster("dgx-a100-80g");
  const Topology t(c, Grid(8, 1, 2));  // 16 GPUs, 2 nodes
  const ClusterGraph g = t.Graph();
  int gpus = 0, switches = 0, nics = 0, nets = 0;
  for (auto k : g.vertices) {
    gpus += k == ClusterGraph::VertexKind::kGpu;
    switches += k == ClusterGraph::VertexKind::kNvSwitch;
    nics += k == ClusterGraph::VertexKind::kNic;
    nets += k == ClusterGraph::VertexKind::kNetwork;
  }
  EXPECT_EQ(gpus, 16);
  EXPECT_EQ(switches, 2);
  EXPECT_EQ(nics, 16);
  EXPECT_EQ(nets, 1);
  EXPECT_EQ(g.edges.size(), 16u * 3);
}

TEST(Topology, TooManyGpusIsASpecError) {
  const ClusterSpec c = ResolveCluster("h200x4-measured");
  EXPECT_THROW(Topology(c, Grid(2, 1, 4)), SpecError);
}

}  // namespace
}  // namespace parallax
