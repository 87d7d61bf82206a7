// Presets compiled into the binary (models/*.json, cluster_profiles/*.json),
// so `parallax` works from any directory. The JSON text is embedded by a
// genrule in core/BUILD; loading goes through the same strict readers as files.
#pragma once

#include <string>
#include <vector>

namespace parallax {

enum class PresetKind { kModel, kCluster };

// The JSON text of a preset, or nullptr if there is none of that name.
const char* FindModelPreset(const std::string& name);
const char* FindClusterPreset(const std::string& name);
std::vector<std::string> PresetNames(PresetKind kind);

}  // namespace parallax
