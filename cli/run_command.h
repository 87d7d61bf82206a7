// `parallax run`: executes a configuration. `--backend cpu` trains the model
// at toy size in fp32 on CPU thread-ranks (runtime/trainer.h): a dry run of
// the plan's data-parallel / ZeRO-1 part that prints measured step lines.
#pragma once

#include <CLI/CLI.hpp>

namespace parallax {

void AddRunCommand(CLI::App& app);

}  // namespace parallax
