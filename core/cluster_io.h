// Loading cluster profiles (strict JSON, named units in every key) and the
// presets in cluster_profiles/.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cluster.h"

namespace parallax {

ClusterSpec ClusterFromJson(const nlohmann::json& j, const std::string& where);
nlohmann::json ClusterToJson(const ClusterSpec& c);
ClusterSpec ResolveCluster(const std::string& name_or_path);
std::vector<std::string> ClusterPresetNames();

}  // namespace parallax
