// `parallax models` and `parallax clusters`.
#pragma once

#include <CLI/CLI.hpp>

namespace parallax {

void AddPresetCommands(CLI::App& app);

}  // namespace parallax
