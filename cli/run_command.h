// `parallax run`: executes a configuration. `--backend cpu` trains the model
// at toy size in fp32 on CPU thread-ranks (runtime/trainer.h): a dry run of
// the plan's pipeline schedule, data parallelism and ZeRO-1 that prints
// measured step lines (tp, cp, ep and ZeRO-2/3 are not run on the CPU).
#pragma once

#include <CLI/CLI.hpp>

namespace parallax {

void AddRunCommand(CLI::App& app);

}  // namespace parallax
