// `parallax run --backend gpu`: runs a job on the local GPUs with the GPU
// runtime (runtime/gpu/gpu_train.h): a GPT, bf16-mixed, one process per GPU,
// data parallel (--zero 0) or ZeRO-1 (--zero 1); tp = pp = cp = ep = vpp = 1 and
// one micro-batch per step (gbs = mbs x dp). Under mpirun / srun / torchrun
// each process is one rank (runtime/gpu/rank_launch.h) and rank 0 reports.
// --json: the JSON alone on stdout (stdout_result.h). --trace FILE: measured
// Chrome trace (runtime/gpu/span_trace.h). run_command.cc dispatches here.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"

namespace parallax {

struct GpuRunFlags {
  int steps = 20;
  double lr = 1e-4;
  uint64_t seed = 1234;
  bool json = false;
  std::string plan;   // the --plan file the job came from ("" for flags): named in errors
  std::string trace;  // --trace FILE: Chrome trace of the measured steps
};

// Throws SpecError naming the flag (or --plan and the file, for a job from a
// plan) and the rule when the job asks for what the GPU backend does not run,
// e.g. tp or pp > 1: tensor / pipeline parallel execution on GPUs is not
// implemented. Needs no GPU.
void ValidateGpuJob(const Job& job, const std::string& plan = "");

// Validates, trains, prints step lines (stdout; stderr with --json) and then
// either a summary line or the `run` JSON keys of the CLI contract (`measured`:
// step_time_s, tokens_per_s, mfu, ranks [{rank, peak_bytes}], peak_bytes, loss).
// Returns the process exit code (non-zero when a rank failed).
int RunGpuBackend(const Job& job, const GpuRunFlags& flags);

}  // namespace parallax
