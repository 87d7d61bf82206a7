// What `parallax run --backend gpu` predicts for the job it runs: `parallax
// simulate` of the same job with this runtime's memory layout (the buffers
// runtime/gpu allocates) and its own flash-attention kernel's measured rates
// in place of the profile's generic attention efficiency. Kept apart from
// run_gpu_command (which needs CUDA) so the CPU tests check it.
#pragma once

#include "core/config.h"
#include "simulator/cost_model.h"
#include "simulator/simulate.h"

namespace parallax {

// `job` with training.activation_layout = parallax-gpu.
Job GpuRunJob(const Job& job);

// CostParams whose flash attention costs what kernels/attention.cu measured
// per layer (d128, 4 x 2048 tokens, causal, one H200; bench/kernels/RESULTS.md
// run 3): 0.338 ms forward, 0.978 ms backward, i.e. 203 and 176 TFLOP/s of the
// causal FLOPs, forward + backward together (the model keeps its 2.5x ratio).
CostParams GpuRunCostParams(const Job& job);

SimResult PredictGpuRun(const Job& job);

}  // namespace parallax
