// `parallax run --backend gpu`: runs a job on the local GPUs with the GPU
// runtime (runtime/gpu/gpu_train.h): a GPT, bf16-mixed, one process per GPU,
// data parallel (--zero 0) or ZeRO-1 (--zero 1); tp = pp = cp = ep = vpp = 1 and
// one micro-batch per step (gbs = mbs x dp). run_command.cc dispatches here.
#pragma once

#include <cstdint>

#include "core/config.h"

namespace parallax {

struct GpuRunFlags {
  int steps = 20;
  double lr = 1e-4;
  uint64_t seed = 1234;
  bool json = false;
};

// Throws SpecError naming the flag when the job asks for what the GPU backend
// does not run. Needs no GPU.
void ValidateGpuJob(const Job& job);

// Validates, trains, prints step lines (stdout; stderr with --json) and then
// either a summary line or the `run` JSON keys of the CLI contract (`measured`:
// step_time_s, tokens_per_s, mfu, ranks [{rank, peak_bytes}], peak_bytes, loss).
// Returns the process exit code (non-zero when a rank failed).
int RunGpuBackend(const Job& job, const GpuRunFlags& flags);

}  // namespace parallax
