// `parallax models` and `parallax clusters`: list the presets with the
// numbers that identify them.
#include "cli/presets_command.h"

#include <iostream>

#include "cli/table.h"
#include "core/cluster_io.h"
#include "core/model_io.h"
#include "core/units.h"

namespace parallax {

void AddPresetCommands(CLI::App& app) {
  auto* models = app.add_subcommand("models", "list model presets");
  auto models_json = std::make_shared<bool>(false);
  models->add_flag("--json", *models_json, "print JSON");
  models->callback([models_json] {
    nlohmann::json out = nlohmann::json::array();
    Table t({"model", "params", "layers", "hidden", "heads", "kv", "ffn", "vocab", "max_seq", "kind"});
    for (const auto& name : ModelPresetNames()) {
      const ModelSpec m = ResolveModel(name);
      const ParamCounts c = CountParams(m);
      std::string kind = (m.activation == Activation::kSwiGlu ? "llama-style" : "gpt-style");
      if (m.moe.enabled()) kind += ", moe " + std::to_string(m.moe.num_experts) + "x top-" + std::to_string(m.moe.top_k);
      t.Add({name, Fixed(c.total() / 1e9, 2) + "B", std::to_string(m.num_layers), std::to_string(m.hidden),
             std::to_string(m.heads), std::to_string(m.kv_heads), std::to_string(m.ffn_hidden), std::to_string(m.vocab),
             std::to_string(m.max_seq), kind});
      nlohmann::json j = ModelToJson(m);
      j["params"] = c.total();
      j["active_params"] = c.active(m);
      out.push_back(j);
    }
    std::cout << (*models_json ? out.dump(2) + "\n" : t.Render());
  });

  auto* clusters = app.add_subcommand("clusters", "list cluster profiles");
  auto clusters_json = std::make_shared<bool>(false);
  clusters->add_flag("--json", *clusters_json, "print JSON");
  clusters->callback([clusters_json] {
    nlohmann::json out = nlohmann::json::array();
    Table t({"cluster", "gpu", "GiB", "bf16 TFLOP/s", "HBM GB/s", "gpus/node", "max gpus", "intra GB/s", "inter GB/s",
             "measured"});
    for (const auto& name : ClusterPresetNames()) {
      const ClusterSpec c = ResolveCluster(name);
      t.Add({name, c.gpu.name, GiB(c.gpu.memory_bytes), Fixed(c.gpu.peak_bf16_flops / 1e12, 0),
             Fixed(c.gpu.hbm_bytes_per_s / 1e9, 0), std::to_string(c.gpus_per_node), std::to_string(c.max_gpus()),
             Fixed(c.intra_node.bytes_per_s / 1e9, 0), c.max_nodes > 1 ? Fixed(c.inter_node.bytes_per_s / 1e9, 0) : "-",
             c.gemm.empty() ? "no" : "gemm+nccl"});
      out.push_back(ClusterToJson(c));
    }
    std::cout << (*clusters_json ? out.dump(2) + "\n" : t.Render());
  });
}

}  // namespace parallax
