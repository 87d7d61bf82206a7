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

TrainResult Train(const TrainConfig& c, const TokenData& data) {
  const int seq = c.seq > 0 ? c.seq : static_cast<int>(c.model.max_seq);
  if (c.dp < 1) throw SpecError("--dp: must be >= 1, got " + std::to_string(c.dp));
  if (c.zero != 0 && c.zero != 1) throw SpecError("--zero: the cpu backend runs zero 0 or 1, got " + std::to_string(c.zero));
  if (c.micro_batch < 1 || c.micro_batches < 1) throw SpecError("--mbs/--gbs: need at least one sequence per micro-batch");
  if (seq > c.model.max_seq) throw SpecError("--seq: " + std::to_string(seq) + " exceeds the model's max_seq " +
                                             std::to_string(c.model.max_seq));
  if (data.vocab > c.model.vocab) throw SpecError("--data: token ids exceed the model vocab");
  if (c.steps < 1) throw SpecError("--steps: must be >= 1");
  const ModelLayout layout = BuildLayout(c.model, static_cast<int64_t>(c.dp) * c.buckets);
  // Params, grads, Adam m and v per rank: the cpu backend is for toy sizes.
  const double state_bytes = 16.0 * layout.padded_size * c.dp;
  if (state_bytes > kMaxCpuStateBytes)
    throw SpecError("--model: " + c.model.name + " needs " + std::to_string(static_cast<int64_t>(state_bytes / 1e9)) +
                    " GB of fp32 model states over " + std::to_string(c.dp) +
                    " cpu ranks; the cpu backend runs toy sizes (up to 4 GB)");
  const Program program = NoPipelineProgram(c.micro_batches, c.dp, c.zero, c.buckets, layout.num_params);
  ExecutorConfig ec;
  ec.micro_batch = c.micro_batch;
  ec.micro_batches = c.micro_batches;
  ec.seq = seq;
  ec.seed = c.seed;

  TrainResult result;
  result.peak_flops_per_s = c.peak_flops_per_s > 0 ? c.peak_flops_per_s : CpuPeakFlops(c.dp);
  result.tokens_per_step = static_cast<int64_t>(c.dp) * c.micro_batches * c.micro_batch * seq;
  const double flops_per_step = CountFlops(c.model, seq).model_per_token() * result.tokens_per_step;
  std::vector<int64_t> peak(c.dp);
  std::mutex mu;

  auto comms = MakeLoopbackGroup(c.dp);
  result.rank_peak_bytes.assign(c.dp, 0);
  RunRanks(comms, [&](Communicator& comm) {
    Executor ex(layout, data, program, ec, MakeSharding(layout.padded_size, c.dp, comm.rank(), c.zero, c.buckets),
                c.optimizer);
    for (int64_t step = 0; step < c.steps; ++step) {
      comm.barrier();
      const auto t0 = std::chrono::steady_clock::now();
      const StepOutcome out = ex.RunStep(comm, step);
      peak[comm.rank()] = ex.peak_bytes();
      comm.barrier();  // step ends when the slowest rank is done
      if (comm.rank() != 0) continue;
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
    result.rank_peak_bytes[comm.rank()] = ex.peak_bytes();
    if (comm.rank() == 0) result.params.assign(ex.params().begin(), ex.params().begin() + layout.num_params);
  });
  return result;
}

}  // namespace parallax
