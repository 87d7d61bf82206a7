// `parallax run --backend gpu` (see run_gpu_command.h).
#include "cli/run_gpu_command.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/gpu_prediction.h"
#include "cli/simulate_command.h"
#include "cli/stdout_result.h"
#include "simulator/memory_model.h"
#include "simulator/simulate.h"

#include "core/errors.h"
#include "runtime/gpu/gpt_layout.h"
#include "runtime/gpu/gpu_train.h"
#include "runtime/gpu/rank_env.h"

namespace parallax {
namespace {

// A rule of the gpu backend that `value` breaks: named by its flag, or by the
// plan file when the job came from --plan.
void RequireOne(const std::string& plan, const char* flag, const char* rule, int value) {
  if (value == 1) return;
  const std::string field = flag + 2;  // "--tp" -> "tp"
  if (plan.empty())
    throw SpecError(std::string(flag) + ": " + rule + " (the gpu backend runs " + field + " = 1), got " +
                    std::to_string(value));
  throw SpecError("--plan: " + std::string(rule) + " (the gpu backend runs " + field + " = 1), " + plan + " has " +
                  field + " = " + std::to_string(value));
}

}  // namespace

void ValidateGpuJob(const Job& job, const std::string& plan) {
  const ParallelConfig& p = job.parallel;
  RequireOne(plan, "--tp", "tensor-parallel execution on GPUs is not implemented", p.tp);
  RequireOne(plan, "--pp", "pipeline-parallel execution on GPUs is not implemented", p.pp);
  RequireOne(plan, "--cp", "context-parallel execution on GPUs is not implemented", p.cp);
  RequireOne(plan, "--ep", "expert-parallel execution on GPUs is not implemented", p.ep);
  RequireOne(plan, "--vpp", "interleaved pipeline stages on GPUs are not implemented", p.vpp);
  if (p.zero > 1) throw SpecError("--zero: the gpu backend runs zero 0 or 1, got " + std::to_string(p.zero));
  if (job.training.precision != Precision::kBf16Mixed)
    throw SpecError("--precision: the gpu backend runs bf16-mixed only");
  if (p.recompute != Recompute::kNone)
    throw SpecError("--recompute: the gpu backend runs none only");
  if (p.attention != AttentionKernel::kFlash)
    throw SpecError("--attention: the gpu backend runs flash only");
  try {
    gpu::MakeGptLayout(job.model);
  } catch (const std::invalid_argument& e) {
    throw SpecError(std::string("--model: ") + e.what());
  }
}

int RunGpuBackend(const Job& job, const GpuRunFlags& f) {
  ValidateGpuJob(job, f.plan);
  if (f.steps < 1) throw SpecError("--steps: must be >= 1, got " + std::to_string(f.steps));
  gpu::GpuTrainConfig c;
  c.model = job.model;
  c.micro_batch = static_cast<int>(job.training.micro_batch);
  c.micro_batches = static_cast<int>(job.micro_batches());
  c.seq = static_cast<int>(job.training.seq);
  c.steps = f.steps;
  c.warmup = std::min(3, f.steps - 1);
  c.dp = job.parallel.dp;
  c.zero1 = job.parallel.zero == 1;
  c.seed = f.seed;
  c.lr = f.lr;
  c.peak_flops_per_s = job.cluster.gpu.peak_bf16_flops;
  c.trace_path = f.trace;
  StdoutResult result(f.json);  // step lines, library messages and forked ranks: stderr
  std::vector<nlohmann::json> ranks;
  const int rc = gpu::RunGpuTraining(c, &ranks);
  if (rc != 0 || ranks.empty()) return rc ? rc : 1;
  if (gpu::ReadRankEnv().rank != 0) return 0;  // under mpirun & co. rank 0 reports for all
  const nlohmann::json& r0 = ranks[0];
  const double step_time_s = r0["median_step_ms"].get<double>() / 1e3;
  const double tokens_per_s = r0["tokens_per_s_per_gpu"].get<double>() * c.dp;
  nlohmann::json rank_list = nlohmann::json::array();
  uint64_t peak = 0;
  for (const auto& r : ranks) {
    const uint64_t b = r["peak_device_used_bytes"].get<uint64_t>();
    rank_list.push_back({{"rank", r["rank"]},
                         {"peak_bytes", b},
                         {"allocated_peak_bytes", r["peak_arena_bytes"]}});
    peak = std::max(peak, b);
  }
  // Predicted: `parallax simulate` of the same job on the job's cluster profile
  // (use --cluster h200x4-measured, or a profile of this machine), with the
  // memory this runtime keeps rather than Megatron's activation layout and its
  // own attention kernel's rates (gpu_prediction.h).
  const Job predicted_job = GpuRunJob(job);
  const SimResult sim = PredictGpuRun(job);
  const MemoryReport mem = EstimateMemory(predicted_job);
  const double mfu = r0["mfu_countflops"].get<double>();
  auto rel = [](double measured, double predicted) { return (predicted - measured) / measured; };
  const nlohmann::json error = {{"step_time_s", rel(step_time_s, sim.step_time_s)},
                                {"tokens_per_s", rel(tokens_per_s, sim.tokens_per_s)},
                                {"mfu", rel(mfu, sim.mfu)},
                                {"peak_bytes", rel(static_cast<double>(peak), static_cast<double>(mem.peak_bytes))}};
  if (f.json) {
    nlohmann::json out = {{"backend", "gpu"},
                          {"measured",
                           {{"step_time_s", step_time_s},
                            {"tokens_per_s", tokens_per_s},
                            {"mfu", mfu},
                            {"ranks", rank_list},
                            {"peak_bytes", peak},
                            {"loss", r0["final_loss"]},
                            {"losses", r0["losses"]}}},
                          {"predicted", SimulateJson(predicted_job, sim)},
                          {"error", error}};
    result.Print(out.dump(2));
  } else {
    std::printf("median step %.1f ms | %.0f tokens/s (%d GPUs) | MFU %.1f%% | peak %.2f GiB per rank | final loss %.4f\n",
                step_time_s * 1e3, tokens_per_s, c.dp, 100 * mfu, peak / (1024.0 * 1024.0 * 1024.0),
                r0["final_loss"].get<double>());
    std::printf("predicted (%s): step %.1f ms (error %+.1f%%) | %.0f tokens/s | MFU %.1f%% | peak %.2f GiB (error %+.1f%%)\n",
                job.cluster.name.c_str(), sim.step_time_s * 1e3, 100 * error["step_time_s"].get<double>(),
                sim.tokens_per_s, 100 * sim.mfu, mem.peak_bytes / (1024.0 * 1024.0 * 1024.0),
                100 * error["peak_bytes"].get<double>());
  }
  return 0;
}

}  // namespace parallax
