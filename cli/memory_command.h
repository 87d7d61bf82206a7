// `parallax memory`: per-rank memory breakdown of one configuration, as a
// table, JSON (--json) or a self-contained HTML page (--html FILE).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "simulator/memory_model.h"

namespace parallax {

void AddMemoryCommand(CLI::App& app);

// The design's `memory` JSON object (ranks with the named bytes, peak_bytes);
// simulate reuses it.
nlohmann::json MemoryJson(const Job& job, const MemoryReport& report);
// Human table of the report.
std::string MemoryText(const Job& job, const MemoryReport& report);
// One-line description of a configuration ("gpt-1.3b on dgx-h100: 8 GPUs = tp 2 x pp 2 x dp 2 ...").
std::string JobSummary(const Job& job);

}  // namespace parallax
