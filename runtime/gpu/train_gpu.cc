// train_gpu: trains a GPT or Llama-style model on the local GPUs with the GPU runtime (gpu_train.h)
// on a fixed random batch, as the PyTorch baseline in shared/bench/gpt_baseline.py
// does, printing one line per step and one summary JSON per rank.
// With --dp N: one process per local GPU, NCCL data parallelism with the
// gradient all-reduce overlapped with backward, or ZeRO-1 with --zero1; the
// global batch is N x mbs sequences of the same token stream a single GPU with
// --mbs N x mbs would see. --micro-batches M accumulates M micro-batches per
// step; the data-parallel reduction runs once, during the last backward.
// Under mpirun / srun / torchrun each process is one rank (pass --dp = the
// number of processes; rank_launch.h says how they find each other).
//   train_gpu --model gpt-1.3b --mbs 4 --seq 2048 --steps 20 [--dp 2 [--zero1] [--no-overlap]]
//             [--micro-batches M] [--keep-norms] [--json F] [--trace F]
#include <cstdio>
#include <fstream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/model_io.h"
#include "runtime/gpu/gpu_train.h"
#include "runtime/gpu/rank_env.h"

namespace parallax::gpu {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"Train a GPT or Llama-style model on the local GPUs (bf16-mixed, cuBLASLt, flash attention, NCCL)"};
  GpuTrainConfig c;
  std::string model_name = "gpt-1.3b", json_path;
  double peak_tflops = 989.0;
  app.add_option("--model", model_name, "preset name or model JSON");
  app.add_option("--mbs", c.micro_batch, "micro-batch size (sequences per GPU)");
  app.add_option("--micro-batches", c.micro_batches,
                 "micro-batches per step and rank (gradient accumulation)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seq", c.seq, "sequence length (default: the model's max_seq)");
  app.add_option("--steps", c.steps, "training steps");
  app.add_option("--warmup", c.warmup, "steps left out of the median");
  app.add_option("--seed", c.seed, "weight and data seed");
  app.add_option("--lr", c.lr, "AdamW learning rate");
  app.add_option("--clip", c.clip, "global gradient-norm clip (0: none)");
  app.add_option("--peak-tflops", peak_tflops, "dense bf16 peak of the card for MFU");
  app.add_option("--json", json_path, "write the summaries (a JSON list, one per rank) here");
  app.add_option("--trace", c.trace_path, "Chrome trace of the steps after warm-up (per op and per NCCL collective)");
  app.add_flag("--profile", c.profile, "time each op kind with CUDA events (steps after warm-up)");
  app.add_option("--dp", c.dp, "data-parallel ranks: one process per local GPU, or the mpirun/srun/torchrun processes")
      ->check(CLI::PositiveNumber);
  app.add_flag("--zero1", c.zero1, "shard AdamW states over the dp ranks (ZeRO-1)");
  bool no_overlap = false;
  app.add_flag("--no-overlap", no_overlap,
               "reduce gradients after backward instead of per bucket during it (comparison)");
  app.add_flag("--keep-norms", c.keep_norms,
               "save the norm outputs for backward instead of recomputing them");
  app.add_option("--fail-rank", c.fail_rank, "test: this rank throws at --fail-step");
  app.add_option("--fail-step", c.fail_step, "test: step at which --fail-rank throws");
  CLI11_PARSE(app, argc, argv);
  c.model = ResolveModel(model_name);
  c.overlap = !no_overlap;
  c.peak_flops_per_s = peak_tflops * 1e12;
  std::vector<nlohmann::json> summaries;
  const int rc = RunGpuTraining(c, &summaries);
  if (ReadRankEnv().rank != 0) return rc;  // under mpirun & co. rank 0 reports for all
  for (const auto& j : summaries) std::printf("%s\n", j.dump().c_str());
  if (!json_path.empty() && rc == 0) std::ofstream(json_path) << nlohmann::json(summaries).dump(1) << "\n";
  return rc;
}

}  // namespace
}  // namespace parallax::gpu

int main(int argc, char** argv) {
  try {
    return parallax::gpu::Main(argc, argv);
  } catch (const parallax::SpecError& e) {  // bad input: flags or launcher variables
    std::fprintf(stderr, "train_gpu: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_gpu: %s\n", e.what());
    return 1;
  }
}
