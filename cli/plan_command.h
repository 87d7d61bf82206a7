// `parallax plan`: searches the plan space for a model, cluster and batch and
// prints the ranked plans (step time, tokens/s, MFU, peak memory and headroom,
// bubble, exposed communication), what was rejected and why, and why #1 beats
// the next distinct plans; --json for machines, --out plan.json for the
// chosen plan, --emit megatron|torchtitan|deepspeed for a framework's config.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "planner/search.h"

namespace parallax {

void AddPlanCommand(CLI::App& app);

// "N" or "A-B" -> the GPU counts to search; errors name --gpus.
std::vector<int> ParseGpuRange(const std::string& text);

// The design's `plan` JSON object: plans (configuration + simulate keys),
// evaluated, rejected (by reason), search_time_s, and more.
nlohmann::json PlanJson(const Job& base, const SearchOptions& options, const SearchResult& result);
std::string PlanText(const Job& base, const SearchOptions& options, const SearchResult& result);

}  // namespace parallax
