// Loading models: our own JSON format (strict: unknown keys are errors) and
// Hugging Face config.json (GPT-2, Llama, Mistral, Mixtral, Qwen2), plus the
// presets in models/ that are compiled into the binary.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.h"

namespace parallax {

// Our format; `where` names the source for errors ("models/x.json").
ModelSpec ModelFromJson(const nlohmann::json& j, const std::string& where);
// Hugging Face config.json (detected by its "model_type" key).
ModelSpec ModelFromHfConfig(const nlohmann::json& j, const std::string& where);
nlohmann::json ModelToJson(const ModelSpec& m);

// A preset name (see `parallax models`) or a path to a JSON file in either
// format. Unknown names fail with the closest preset suggested.
ModelSpec ResolveModel(const std::string& name_or_path);
std::vector<std::string> ModelPresetNames();

// Shape rules every model must satisfy (heads divide hidden, kv_heads divide
// heads, MoE top_k <= experts, ...); throws SpecError naming the field.
void ValidateModel(const ModelSpec& m, const std::string& where);

}  // namespace parallax
