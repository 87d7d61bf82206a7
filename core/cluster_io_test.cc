// Cluster profiles: every preset loads and round-trips; the measured H200
// profile carries the reference sweeps; bad files fail with one line.
#include <algorithm>

#include "core/cluster_io.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/units.h"

namespace parallax {
namespace {

TEST(ClusterPresets, NamesReliedOnByChecksExistAndRoundTrip) {
  for (const char* name : {"dgx-a100-80g", "dgx-h100", "hgx-h200", "h200x4-measured"}) {
    const ClusterSpec c = ResolveCluster(name);
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(ClusterToJson(ClusterFromJson(ClusterToJson(c), "x")), ClusterToJson(c)) << name;
  }
  EXPECT_EQ(ResolveCluster("dgx-h100").max_gpus(), 16384);
  EXPECT_DOUBLE_EQ(ResolveCluster("dgx-a100-80g").gpu.peak_bf16_flops, 312e12);
}

TEST(ClusterPresets, MeasuredH200CarriesTheSweeps) {
  const ClusterSpec c = ResolveCluster("h200x4-measured");
  // GPT-layer shapes, sustained (bench/results/2026-11-29-tp-layer-h200/gemm_table_sustained.json)
  ASSERT_EQ(c.gemm.size(), 197u);
  const auto cube = std::find_if(c.gemm.begin(), c.gemm.end(),
                                 [](const GemmPoint& g) { return g.m == 8192 && g.n == 8192 && g.k == 8192; });
  ASSERT_NE(cube, c.gemm.end());
  EXPECT_NEAR(cube->flops_per_s / 1e12, 682.612, 1e-3);
  bool found = false;
  for (const auto& curve : c.collectives) {
    if (curve.op == CollectiveOp::kAllReduce && curve.group_size == 4) {
      found = true;
      EXPECT_NEAR(curve.points.back().bus_bytes_per_s / 1e9, 354.079, 1e-3);  // 1 GiB in coll_4.json
    }
  }
  EXPECT_TRUE(found);
  EXPECT_NEAR(c.gpu.memory_bytes / kGiB, 140.4, 0.01);
}

TEST(ClusterJson, BadInput) {
  nlohmann::json j = ClusterToJson(ResolveCluster("dgx-h100"));
  j["gpu"]["peak_bf16_tflops"] = 0;
  try {
    ClusterFromJson(j, "c.json");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), "c.json: cluster.gpu.peak_bf16_tflops: must be a positive number (got 0)");
  }
  j = ClusterToJson(ResolveCluster("dgx-h100"));
  j["inter_node"].erase("latency_us");
  try {
    ClusterFromJson(j, "c.json");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), "c.json: cluster.inter_node.latency_us: missing required field");
  }
  try {
    ResolveCluster("dgx-h10");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--cluster: unknown preset \"dgx-h10\" (did you mean \"dgx-h100\"?); see `parallax clusters`");
  }
}

}  // namespace
}  // namespace parallax
