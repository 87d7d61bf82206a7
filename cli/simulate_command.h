// `parallax simulate`: step time, tokens/s, MFU, bubble, exposed
// communication and per-stage peak memory of one configuration; --trace FILE
// (Chrome trace), --html FILE (pipeline timeline + memory bars),
// --print-program STAGE (the stage's program in text form), --json.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "simulator/simulate.h"

namespace parallax {

void AddSimulateCommand(CLI::App& app);

// The design's simulate keys (step_time_s, tokens_per_s, mfu, bubble_fraction,
// breakdown, memory); plan and run reuse it.
nlohmann::json SimulateJson(const Job& job, const SimResult& result);

}  // namespace parallax
