// plan.json: a Job (model, cluster, training, parallel configuration with its
// layer-to-stage map) with a format version, written by `parallax plan --out`
// and read back exactly by `simulate --plan` and `run --plan`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"

namespace parallax {

constexpr int kPlanFormatVersion = 1;

nlohmann::json TrainingToJson(const TrainingConfig& t);
nlohmann::json ParallelToJson(const ParallelConfig& p);
TrainingConfig TrainingFromJson(const nlohmann::json& j, const std::string& where);
ParallelConfig ParallelFromJson(const nlohmann::json& j, const std::string& where);

nlohmann::json JobToJson(const Job& job);  // includes format_version
Job JobFromJson(const nlohmann::json& j, const std::string& where);
Job LoadPlanFile(const std::string& path);  // validates too

}  // namespace parallax
