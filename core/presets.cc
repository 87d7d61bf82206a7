// Lookup over the embedded preset tables generated into presets_data.inc.
#include "core/presets.h"

#include <cstring>

namespace parallax {
namespace {

struct Embedded {
  const char* name;
  const char* json;
};

#include "core/presets_data.inc"  // kModelPresets[], kClusterPresets[]

template <size_t N>
const char* Find(const Embedded (&table)[N], const std::string& name) {
  for (const auto& e : table)
    if (name == e.name) return e.json;
  return nullptr;
}

template <size_t N>
std::vector<std::string> Names(const Embedded (&table)[N]) {
  std::vector<std::string> out;
  for (const auto& e : table) out.push_back(e.name);
  return out;
}

}  // namespace

const char* FindModelPreset(const std::string& name) { return Find(kModelPresets, name); }
const char* FindClusterPreset(const std::string& name) { return Find(kClusterPresets, name); }
std::vector<std::string> PresetNames(PresetKind kind) {
  return kind == PresetKind::kModel ? Names(kModelPresets) : Names(kClusterPresets);
}

}  // namespace parallax
