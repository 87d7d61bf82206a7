// JSON <-> ClusterSpec. Keys carry their units: _gib, _tflops, _gb_per_s
// (1e9 bytes/s), _us.
#include "core/cluster_io.h"

#include <algorithm>

#include "core/json_reader.h"
#include "core/presets.h"
#include "core/units.h"

namespace parallax {

const std::vector<std::pair<std::string, CollectiveOp>>& CollectiveOpNames() {
  static const std::vector<std::pair<std::string, CollectiveOp>> t = {
      {"all_reduce", CollectiveOp::kAllReduce},         {"all_gather", CollectiveOp::kAllGather},
      {"reduce_scatter", CollectiveOp::kReduceScatter}, {"sendrecv", CollectiveOp::kSendRecv},
      {"all_to_all", CollectiveOp::kAllToAll}};
  return t;
}

namespace {



LinkSpec ReadLink(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where);
  LinkSpec l;
  l.name = r.String("name", "");
  l.bytes_per_s = r.PositiveNumber("bandwidth_gb_per_s") * 1e9;
  l.latency_s = r.PositiveNumber("latency_us") * 1e-6;
  r.RejectUnknownKeys();
  return l;
}

nlohmann::json WriteLink(const LinkSpec& l) {
  return {{"name", l.name}, {"bandwidth_gb_per_s", l.bytes_per_s / 1e9}, {"latency_us", l.latency_s * 1e6}};
}

}  // namespace

ClusterSpec ClusterFromJson(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where + ": cluster");
  ClusterSpec c;
  c.name = r.String("name");
  c.source = r.String("source", "");
  {
    JsonReader g(r.Object("gpu"), r.Path("gpu"));
    c.gpu.name = g.String("name");
    c.gpu.memory_bytes = static_cast<int64_t>(g.PositiveNumber("memory_gib") * kGiB);
    c.gpu.peak_bf16_flops = g.PositiveNumber("peak_bf16_tflops") * 1e12;
    c.gpu.peak_fp32_flops = g.PositiveNumber("peak_fp32_tflops") * 1e12;
    c.gpu.hbm_bytes_per_s = g.PositiveNumber("hbm_gb_per_s") * 1e9;
    g.RejectUnknownKeys();
  }
  c.gpus_per_node = static_cast<int>(r.PositiveInt("gpus_per_node"));
  c.max_nodes = static_cast<int>(r.PositiveInt("max_nodes"));
  c.intra_node = ReadLink(r.Object("intra_node"), r.Path("intra_node"));
  const auto* inter = r.OptionalObject("inter_node");
  if (!inter && c.max_nodes > 1) r.Fail("inter_node", "required when max_nodes > 1");
  if (inter) c.inter_node = ReadLink(*inter, r.Path("inter_node"));
  c.topology = r.String("topology", c.max_nodes > 1 ? "fat-tree" : "single-node");
  c.gemm_max_efficiency = r.Fraction("gemm_max_efficiency", 0.8);
  c.memory_bandwidth_efficiency = r.Fraction("memory_bandwidth_efficiency", 0.85);
  c.collective_efficiency = r.Fraction("collective_efficiency", 0.8);
  if (r.Has("gemm")) {
    const auto& list = r.Array("gemm");
    for (size_t i = 0; i < list.size(); ++i) {
      JsonReader g(list[i], r.Path("gemm[" + std::to_string(i) + "]"));
      GemmPoint p;
      p.m = g.PositiveInt("m");
      p.n = g.PositiveInt("n");
      p.k = g.PositiveInt("k");
      p.flops_per_s = g.PositiveNumber("tflops") * 1e12;
      g.RejectUnknownKeys();
      c.gemm.push_back(p);
    }
  }
  if (r.Has("collectives")) {
    const auto& list = r.Array("collectives");
    for (size_t i = 0; i < list.size(); ++i) {
      JsonReader k(list[i], r.Path("collectives[" + std::to_string(i) + "]"));
      CollectiveCurve curve;
      curve.op = k.Enum("op", CollectiveOpNames(), CollectiveOp::kAllReduce);
      if (!k.Has("op")) k.Fail("op", "missing required field");
      curve.inter_node = k.Bool("inter_node", false);
      curve.group_size = static_cast<int>(k.PositiveInt("group_size"));
      const auto& pts = k.Array("points");
      for (size_t q = 0; q < pts.size(); ++q) {
        JsonReader pr(pts[q], k.Path("points[" + std::to_string(q) + "]"));
        CollectivePoint p;
        p.bytes = pr.PositiveInt("bytes");
        p.bus_bytes_per_s = pr.PositiveNumber("bus_gb_per_s") * 1e9;
        pr.RejectUnknownKeys();
        curve.points.push_back(p);
      }
      std::sort(curve.points.begin(), curve.points.end(),
                [](const CollectivePoint& a, const CollectivePoint& b) { return a.bytes < b.bytes; });
      k.RejectUnknownKeys();
      c.collectives.push_back(curve);
    }
  }
  if (const auto* mem = r.OptionalObject("memory_overheads")) {
    JsonReader m(*mem, r.Path("memory_overheads"));
    c.overheads.cuda_context_bytes = static_cast<int64_t>(m.PositiveNumber("cuda_context_gib", 0.5) * kGiB);
    c.overheads.nccl_bytes = static_cast<int64_t>(m.PositiveNumber("nccl_gib", 0.25) * kGiB);
    c.overheads.fragmentation = m.Fraction("fragmentation", 0.05);
    m.RejectUnknownKeys();
  } else {
    c.overheads = {static_cast<int64_t>(0.5 * kGiB), static_cast<int64_t>(0.25 * kGiB), 0.05};
  }
  r.RejectUnknownKeys();
  return c;
}

nlohmann::json ClusterToJson(const ClusterSpec& c) {
  nlohmann::json j = {
      {"name", c.name},
      {"source", c.source},
      {"gpu",
       {{"name", c.gpu.name},
        {"memory_gib", c.gpu.memory_bytes / kGiB},
        {"peak_bf16_tflops", c.gpu.peak_bf16_flops / 1e12},
        {"peak_fp32_tflops", c.gpu.peak_fp32_flops / 1e12},
        {"hbm_gb_per_s", c.gpu.hbm_bytes_per_s / 1e9}}},
      {"gpus_per_node", c.gpus_per_node},
      {"max_nodes", c.max_nodes},
      {"intra_node", WriteLink(c.intra_node)},
      {"topology", c.topology},
      {"gemm_max_efficiency", c.gemm_max_efficiency},
      {"memory_bandwidth_efficiency", c.memory_bandwidth_efficiency},
      {"collective_efficiency", c.collective_efficiency},
      {"memory_overheads",
       {{"cuda_context_gib", c.overheads.cuda_context_bytes / kGiB},
        {"nccl_gib", c.overheads.nccl_bytes / kGiB},
        {"fragmentation", c.overheads.fragmentation}}}};
  if (c.max_nodes > 1) j["inter_node"] = WriteLink(c.inter_node);
  if (!c.gemm.empty()) {
    j["gemm"] = nlohmann::json::array();
    for (const auto& p : c.gemm) j["gemm"].push_back({{"m", p.m}, {"n", p.n}, {"k", p.k}, {"tflops", p.flops_per_s / 1e12}});
  }
  if (!c.collectives.empty()) {
    j["collectives"] = nlohmann::json::array();
    for (const auto& curve : c.collectives) {
      nlohmann::json pts = nlohmann::json::array();
      for (const auto& p : curve.points) pts.push_back({{"bytes", p.bytes}, {"bus_gb_per_s", p.bus_bytes_per_s / 1e9}});
      std::string op;
      for (const auto& [n, v] : CollectiveOpNames())
        if (v == curve.op) op = n;
      j["collectives"].push_back(
          {{"op", op}, {"inter_node", curve.inter_node}, {"group_size", curve.group_size}, {"points", pts}});
    }
  }
  return j;
}

ClusterSpec ResolveCluster(const std::string& name_or_path) {
  if (const char* text = FindClusterPreset(name_or_path)) {
    const std::string where = "cluster_profiles/" + name_or_path + ".json";
    return ClusterFromJson(ParseJsonText(text, where), where);
  }
  const bool looks_like_file = name_or_path.find('/') != std::string::npos ||
                               name_or_path.find(".json") != std::string::npos;
  if (!looks_like_file) {
    throw SpecError("--cluster: unknown preset \"" + name_or_path + "\"" +
                    DidYouMean(name_or_path, ClusterPresetNames()) + "; see `parallax clusters`");
  }
  return ClusterFromJson(ParseJsonFile(name_or_path), name_or_path);
}

std::vector<std::string> ClusterPresetNames() { return PresetNames(PresetKind::kCluster); }

}  // namespace parallax
