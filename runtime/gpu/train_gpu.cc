// train_gpu: trains a GPT on one GPU for a few steps on a fixed random batch (as
// the PyTorch baseline in shared/bench/gpt_baseline.py does) and prints one line
// per step (step, loss, ms, tokens/s, MFU, peak memory) and a final JSON with the
// median step time after warm-up. MFU: model FLOPs by core's CountFlops
// (3 passes, full attention, logits) over the card's dense bf16 peak; the JSON
// also gives the PaLM-style 6N + 12 L h s rate the PyTorch baseline prints.
//   train_gpu --model gpt-1.3b --mbs 4 --seq 2048 --steps 20 [--json out.json]
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include "core/model_io.h"
#include "kernels/check.h"
#include <nlohmann/json.hpp>
#include "runtime/gpu/device_arena.h"
#include "runtime/gpu/gpt_model.h"

namespace parallax::gpu {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

int Main(int argc, char** argv) {
  CLI::App app{"Train a GPT on one GPU (bf16-mixed, cuBLASLt, flash attention)"};
  std::string model_name = "gpt-1.3b", json_path;
  int mbs = 4, seq = 0, steps = 20, warmup = 3;
  uint64_t seed = 1234;
  double peak_tflops = 989.0, lr = 1e-4, clip = 1.0;
  app.add_option("--model", model_name, "preset name or model JSON");
  app.add_option("--mbs", mbs, "micro-batch size (sequences)");
  app.add_option("--seq", seq, "sequence length (default: the model's max_seq)");
  app.add_option("--steps", steps, "training steps");
  app.add_option("--warmup", warmup, "steps left out of the median");
  app.add_option("--seed", seed, "weight and data seed");
  app.add_option("--lr", lr, "AdamW learning rate");
  app.add_option("--clip", clip, "global gradient-norm clip (0: none)");
  app.add_option("--peak-tflops", peak_tflops, "dense bf16 peak of the card for MFU");
  app.add_option("--json", json_path, "write the summary JSON here");
  bool profile = false;
  app.add_flag("--profile", profile, "time each op kind with CUDA events (steps after warm-up)");
  CLI11_PARSE(app, argc, argv);

  const ModelSpec m = ResolveModel(model_name);
  if (seq == 0) seq = int(m.max_seq);
  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  DeviceArena arena;
  GptModel model(m, mbs, seq, seed, arena, stream);
  const int rows = mbs * seq;
  std::vector<int32_t> host_tokens(rows + 1);
  std::mt19937 rng{static_cast<uint32_t>(seed)};
  std::uniform_int_distribution<int32_t> pick(0, int32_t(m.vocab) - 1);
  for (auto& t : host_tokens) t = pick(rng);
  int32_t* tokens = arena.allocate_n<int32_t>("data", rows);
  int32_t* targets = arena.allocate_n<int32_t>("data", rows);
  CUDA_CHECK(cudaMemcpy(tokens, host_tokens.data(), rows * 4, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(targets, host_tokens.data() + 1, rows * 4, cudaMemcpyHostToDevice));

  const double flops_per_token = CountFlops(m, seq).model_per_token();
  const double palm_flops_per_token =
      6.0 * model.layout().param_count + 12.0 * m.num_layers * m.hidden * seq;
  AdamWConfig opt;
  opt.lr = float(lr);
  std::printf("model %s: %.3fB params, %d x %lld, mbs %d, seq %d, %.1f GiB in the arena\n",
              m.name.c_str(), model.layout().param_count / 1e9, m.num_layers,
              (long long)m.hidden, mbs, seq, arena.allocated_bytes() / kGiB);
  std::vector<double> step_ms;
  size_t peak_device = 0;
  float last_loss = 0;
  for (int step = 1; step <= steps; ++step) {
    CUDA_CHECK(cudaStreamSynchronize(stream));
    const auto t0 = std::chrono::steady_clock::now();
    model.profile().set_enabled(profile && step > warmup);
    model.profile().begin();
    model.forward_backward(tokens, targets, 1.0f, /*accumulate=*/false);
    model.optimizer_step(opt, float(clip), step);
    CUDA_CHECK(cudaStreamSynchronize(stream));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    model.profile().collect();
    last_loss = model.loss();
    const float gnorm = model.grad_norm();
    peak_device = std::max(peak_device, device_used_bytes());
    step_ms.push_back(ms);
    const double tok_s = rows / (ms / 1e3);
    std::printf(
        "step %3d | loss %.4f | grad norm %.3f | %8.2f ms | %8.0f tok/s | MFU %5.1f%% | peak %.2f "
        "GiB arena, %.2f GiB device\n",
        step, last_loss, gnorm, ms, tok_s, 100.0 * tok_s * flops_per_token / (peak_tflops * 1e12),
        arena.peak_bytes() / kGiB, peak_device / kGiB);
    std::fflush(stdout);
  }
  std::vector<double> tail(step_ms.begin() + std::min<int>(warmup, steps - 1), step_ms.end());
  std::sort(tail.begin(), tail.end());
  const double median_ms = tail[tail.size() / 2];
  const double tok_s = rows / (median_ms / 1e3);
  nlohmann::json j = {
      {"model", m.name},
      {"params", model.layout().param_count},
      {"mbs", mbs},
      {"seq", seq},
      {"steps", steps},
      {"median_step_ms", median_ms},
      {"tokens_per_s", tok_s},
      {"mfu_countflops", tok_s * flops_per_token / (peak_tflops * 1e12)},
      {"mfu_palm_6n_12lhs", tok_s * palm_flops_per_token / (peak_tflops * 1e12)},
      {"peak_arena_GiB", arena.peak_bytes() / kGiB},
      {"peak_device_used_GiB", peak_device / kGiB},
      {"final_loss", last_loss},
  };
  nlohmann::json by_name = nlohmann::json::object();
  for (const auto& [name, bytes] : arena.by_name()) by_name[name] = bytes / kGiB;
  j["arena_GiB_by_name"] = by_name;
  if (profile) {
    const int profiled = std::max(1, steps - warmup);
    nlohmann::json breakdown = nlohmann::json::object();
    for (const auto& [label, ms] : model.profile().totals_ms()) breakdown[label] = ms / profiled;
    j["profile_ms_per_step"] = breakdown;
  }
  std::printf("%s\n", j.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << j.dump(1) << "\n";
  return 0;
}

}  // namespace
}  // namespace parallax::gpu

int main(int argc, char** argv) {
  try {
    return parallax::gpu::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_gpu: %s\n", e.what());
    return 1;
  }
}
