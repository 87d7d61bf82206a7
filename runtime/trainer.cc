// The CPU training loop: builds the layout, the program and one executor per
// thread-rank, runs the steps and measures them on rank 0 (see trainer.h).
#include "runtime/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

#include "core/errors.h"
#include "runtime/communicator.h"
#include "runtime/cpu_peak.h"
#include "runtime/executor.h"

namespace parallax {

std::string FormatStepLine(const StepStats& s) {
  char line[256];
  std::snprintf(line, sizeof(line), "step %lld | loss %.4f | %.1f ms | %.0f tokens/s | MFU %.1f%% | peak %.1f MB",
                static_cast<long long>(s.step), s.loss, s.time_s * 1e3, s.tokens_per_s, 100 * s.mfu,
                s.peak_bytes / 1e6);
  return line;
}

std::vector<int> EvenLayerSplit(int num_layers, int parts) {
  if (parts < 1 || num_layers < parts)
    throw SpecError("--pp/--vpp: " + std::to_string(num_layers) + " layers cannot fill " + std::to_string(parts) +
                    " virtual pipeline stages");
  std::vector<int> split(parts, num_layers / parts);
  for (int i = 0; i < num_layers % parts; ++i) ++split[i];
  return split;
}

TrainResult Train(const TrainConfig& c, const TokenData& data) {
  const int seq = c.seq > 0 ? c.seq : static_cast<int>(c.model.max_seq);
  if (c.dp < 1) throw SpecError("--dp: must be >= 1, got " + std::to_string(c.dp));
  if (c.pp < 1 || c.vpp < 1) throw SpecError("--pp/--vpp: must be >= 1");
  const int virtual_stages = c.pp * c.vpp;
  const std::vector<int> layers =
      c.layers_per_stage.empty() ? EvenLayerSplit(c.model.num_layers, virtual_stages) : c.layers_per_stage;
  if (static_cast<int>(layers.size()) != virtual_stages)
    throw SpecError("--stage-layers: needs " + std::to_string(virtual_stages) + " entries (pp x vpp)");
  if (c.zero != 0 && c.zero != 1) throw SpecError("--zero: the cpu backend runs zero 0 or 1, got " + std::to_string(c.zero));
  if (c.micro_batch < 1 || c.micro_batches < 1) throw SpecError("--mbs/--gbs: need at least one sequence per micro-batch");
  if (seq > c.model.max_seq) throw SpecError("--seq: " + std::to_string(seq) + " exceeds the model's max_seq " +
                                             std::to_string(c.model.max_seq));
  if (data.vocab > c.model.vocab) throw SpecError("--data: token ids exceed the model vocab");
  if (c.steps < 1) throw SpecError("--steps: must be >= 1");
  const int buckets = c.vpp * c.buckets;  // over the whole flat buffer
  const ModelLayout layout = BuildLayout(c.model, static_cast<int64_t>(c.dp) * buckets);
  // Params, grads, Adam m and v per rank: the cpu backend is for toy sizes.
  const double state_bytes = 16.0 * layout.padded_size * c.dp * c.pp;
  if (state_bytes > kMaxCpuStateBytes)
    throw SpecError("--model: " + c.model.name + " needs " + std::to_string(static_cast<int64_t>(state_bytes / 1e9)) +
                    " GB of fp32 model states over " + std::to_string(c.dp) +
                    " cpu ranks; the cpu backend runs toy sizes (up to 4 GB)");
  const std::vector<Program> programs =
      CpuPrograms(c.schedule, c.pp, c.vpp, c.micro_batches, c.dp, c.zero, c.buckets, layout.num_params,
                  static_cast<int64_t>(c.micro_batch) * seq * c.model.hidden);
  ExecutorConfig ec;
  ec.micro_batch = c.micro_batch;
  ec.micro_batches = c.micro_batches;
  ec.seq = seq;
  ec.seed = c.seed;
  ec.pp = c.pp;
  ec.vpp = c.vpp;
  if (c.pp > 1 || c.vpp > 1) ec.layers_per_virtual_stage = layers;

  TrainResult result;
  const int ranks = c.pp * c.dp;
  result.peak_flops_per_s = c.peak_flops_per_s > 0 ? c.peak_flops_per_s : CpuPeakFlops(ranks);
  result.tokens_per_step = static_cast<int64_t>(c.dp) * c.micro_batches * c.micro_batch * seq;
  const double flops_per_step = CountFlops(c.model, seq).model_per_token() * result.tokens_per_step;
  std::vector<int64_t> peak(ranks);
  std::mutex mu;

  // Rank = stage x dp + dp rank (Megatron's order, pp outermost).
  auto world = MakeLoopbackGroup(ranks);
  std::vector<std::vector<std::unique_ptr<Communicator>>> dp_groups, pp_groups;
  for (int s = 0; s < c.pp; ++s) dp_groups.push_back(MakeLoopbackGroup(c.dp));
  for (int d = 0; d < c.dp; ++d) pp_groups.push_back(MakeLoopbackGroup(c.pp));
  std::vector<Communicator*> all;
  for (auto& g : world) all.push_back(g.get());
  for (auto& group : dp_groups) for (auto& g : group) all.push_back(g.get());
  for (auto& group : pp_groups) for (auto& g : group) all.push_back(g.get());
  result.rank_peak_bytes.assign(ranks, 0);
  RunThreads(ranks, [&](int rank) {
    const int stage = rank / c.dp, d = rank % c.dp;
    Communicator& w = *world[rank];
    Communicator& dp = *dp_groups[stage][d];
    Communicator* pp = pp_groups[d][stage].get();
    ExecutorConfig rank_config = ec;
    rank_config.stage = stage;
    Executor ex(layout, data, programs.at(stage), rank_config,
                MakeSharding(layout.padded_size, c.dp, d, c.zero, buckets), c.optimizer);
    for (int64_t step = 0; step < c.steps; ++step) {
      w.barrier();
      const auto t0 = std::chrono::steady_clock::now();
      const StepOutcome out = ex.RunStep(dp, step, pp);
      peak[rank] = ex.peak_bytes();
      w.barrier();  // step ends when the slowest rank is done
      if (rank != 0) continue;
      StepStats s;
      s.step = step;
      s.loss = out.loss;
      s.grad_norm = out.grad_norm;
      s.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      s.tokens_per_s = result.tokens_per_step / s.time_s;
      s.mfu = flops_per_step / s.time_s / result.peak_flops_per_s;
      s.peak_bytes = *std::max_element(peak.begin(), peak.end());
      std::lock_guard<std::mutex> lock(mu);
      result.steps.push_back(s);
      if (c.log) *c.log << FormatStepLine(s) << "\n" << std::flush;
    }
    result.rank_peak_bytes[rank] = ex.peak_bytes();
    if (rank == 0) result.params.assign(ex.params().begin(), ex.params().begin() + layout.num_params);
  }, all);
  return result;
}

}  // namespace parallax
