// One tp rank's share of a GPT layer, measured against parallax's cost model.
// The measurement (bench/simulator/tp_layer_shapes.py, PyTorch on one GPU,
// fp16, unfused attention, dropout 0.1, no collectives) sliced the layer as
// tp 1/2/4/8 slice it and timed it replayed from a CUDA graph (GPU time, no
// Python / launch time) and eager, plus each of its 12 linear GEMMs alone.
// Here CostModel prices the same shapes on the measured H200 profile (its
// GEMM table) and the datasheet one: forward, forward + backward and
// full-recompute forward + backward per layer, compute only (the collectives
// were not run), and the 12 GEMMs. The last table is the quantity the planner
// trades on Narayanan's 18.4B / 39.1B rows: the compute of one micro-batch on
// a GPU that holds all L layers at tp 8 against one that holds L/4 layers at
// tp 2 (tp 2 x pp 4). Why: parallax's preference for tp 2 + pipelining over
// the paper's tp 8 rests partly on this term (bench/planner/narayanan_plans.md).
// Usage: bazel run -c opt //bench/simulator:tp_layer_shapes -- [JSON ...]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "simulator/cost_model.h"

using namespace parallax;

namespace {

struct Times {
  double fwd_ms, fwd_bwd_ms, recompute_ms;  // recompute: full-recompute forward + backward
  double gemm_ms = 0;                       // the layer's linear GEMMs (forward, input grad, weight grad)
};

// parallax's per-layer compute for one tp rank (layer 0, no MoE), and its
// time for the measured GEMM shapes.
Times Predict(const std::string& cluster, int64_t hidden, int heads, int tp, int64_t mbs, int64_t seq,
              const nlohmann::json& gemms) {
  Job j;
  j.model = ResolveModel("narayanan-18.4b");  // GPT-2021 layer: LayerNorm, GeLU 4h, biases, dropout 0.1
  j.model.hidden = hidden;
  j.model.heads = j.model.kv_heads = heads;
  j.model.head_dim = hidden / heads;
  j.model.ffn_hidden = 4 * hidden;
  j.cluster = ResolveCluster(cluster);
  j.cluster.gpus_per_node = std::max(j.cluster.gpus_per_node, 8);  // compute only: the tp group's links are not used
  j.training = {mbs, seq, mbs, Precision::kFp16Mixed};
  j.parallel.tp = tp;
  j.parallel.attention = AttentionKernel::kUnfused;
  j.parallel.recompute = Recompute::kFull;
  const CostModel model(j);
  const LayerCost c = model.Layer(0);
  const double fwd = c.forward.compute_s(), bwd = c.backward_input.compute_s() + c.backward_weight.compute_s();
  Times t{1e3 * fwd, 1e3 * (fwd + bwd), 1e3 * (fwd + c.recompute.compute_s() + bwd)};
  for (const auto& g : gemms)
    if (!g.contains("bmm")) t.gemm_ms += 1e3 * model.GemmTime(g["m"], g["n"], g["k"]);
  return t;
}

double Pct(double predicted, double measured) { return 100 * (predicted - measured) / measured; }

}  // namespace

// Measured per-layer times of one row: the CUDA-graph replay where the
// script has it (full recompute = a forward, then forward + backward again),
// else the eager timings.
Times Measured(const nlohmann::json& r) {
  Times t;
  if (r.contains("graph_fwd_bwd_ms")) {
    t = {r["graph_forward_ms"], r["graph_fwd_bwd_ms"], 0};
    t.recompute_ms = t.fwd_ms + t.fwd_bwd_ms;
  } else {
    t = {r["forward_ms"], r["fwd_bwd_ms"], r["fwd_bwd_full_recompute_ms"]};
  }
  for (const auto& g : r.value("gemms", nlohmann::json::array()))
    if (!g.contains("bmm")) t.gemm_ms += g["ms"].get<double>();
  return t;
}

int main(int argc, char** argv) {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string dir = std::string(workspace ? workspace : ".") + "/bench/results/2026-11-29-tp-layer-h200/";
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) paths.emplace_back(argv[i]);
  if (paths.empty()) paths = {dir + "tp_layer_h6144_eager.json", dir + "tp_layer_h8192_eager.json"};
  const char* kClusters[] = {"h200x4-measured", "hgx-h200"};

  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    const nlohmann::json m = nlohmann::json::parse(in);
    const int64_t h = m["hidden"], seq = m["seq"];
    const int heads = m["heads"];
    std::printf("\n### hidden %lld, %d heads, seq %lld: %s (%s)\n\n", static_cast<long long>(h), heads,
                static_cast<long long>(seq), m["gpu"].get<std::string>().c_str(), path.c_str());
    std::printf("%s\n\n", m["what"].get<std::string>().c_str());
    std::printf("| tp | mbs | eager fwd+bwd / full-recompute ms | graph fwd / fwd+bwd / full-recompute ms | "
                "12 GEMMs ms |");
    for (const char* c : kClusters) std::printf(" %s: fwd / fwd+bwd / full-recompute (error) | its 12 GEMMs |", c);
    std::printf("\n|---|---|---|---|---|---|---|---|---|\n");
    // (mbs, tp) -> measured and predicted full-recompute time, for the whole-model ratio.
    std::map<std::pair<int64_t, int>, std::pair<double, std::vector<double>>> full;
    for (const auto& r : m["rows"]) {
      const int tp = r["tp"];
      const int64_t mbs = r["mbs"];
      const Times meas = Measured(r);
      std::printf("| %d | %lld | %.2f / %.2f | %.2f / %.2f / %.2f | %.2f |", tp, static_cast<long long>(mbs),
                  r["fwd_bwd_ms"].get<double>(), r["fwd_bwd_full_recompute_ms"].get<double>(), meas.fwd_ms,
                  meas.fwd_bwd_ms, meas.recompute_ms, meas.gemm_ms);
      auto& entry = full[{mbs, tp}];
      entry.first = meas.recompute_ms;
      for (const char* c : kClusters) {
        const Times p = Predict(c, h, heads, tp, mbs, seq, r.value("gemms", nlohmann::json::array()));
        std::printf(" %.2f / %.2f / %.2f (%+.0f%% / %+.0f%% / %+.0f%%) | %.2f (%+.0f%%) |", p.fwd_ms, p.fwd_bwd_ms,
                    p.recompute_ms, Pct(p.fwd_ms, meas.fwd_ms), Pct(p.fwd_bwd_ms, meas.fwd_bwd_ms),
                    Pct(p.recompute_ms, meas.recompute_ms), p.gemm_ms, Pct(p.gemm_ms, meas.gemm_ms));
        entry.second.push_back(p.recompute_ms);
      }
      std::printf("\n");
    }
    std::printf("\nfull-recompute compute of one micro-batch, a GPU with all layers at tp 8 over one with a quarter "
                "of them at tp 2 (4 x t8 / t2; 1.00 = tp splits the work perfectly; measured from the graph "
                "replay):\n\n");
    std::printf("| mbs | measured |");
    for (const char* c : kClusters) std::printf(" %s |", c);
    std::printf("\n|---|---|---|---|\n");
    for (const auto& [key, v] : full) {
      if (key.second != 8 || !full.count({key.first, 2})) continue;
      const auto& t2 = full.at({key.first, 2});
      std::printf("| %lld | %.3f |", static_cast<long long>(key.first), 4 * v.first / t2.first);
      for (size_t i = 0; i < v.second.size(); ++i) std::printf(" %.3f |", 4 * v.second[i] / t2.second[i]);
      std::printf("\n");
    }
  }
  return 0;
}
