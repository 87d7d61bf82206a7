// train_gpu: trains a GPT on one GPU for a few steps on a fixed random batch (as
// the PyTorch baseline in shared/bench/gpt_baseline.py does) and prints one line
// per step (step, loss, ms, tokens/s, MFU, peak memory) and a final JSON with the
// median step time after warm-up. MFU: model FLOPs by core's CountFlops
// (3 passes, full attention, logits) over the card's dense bf16 peak; the JSON
// also gives the PaLM-style 6N + 12 L h s rate the PyTorch baseline prints.
// With --dp N: one process per local GPU (local_launcher.h), NCCL data
// parallelism with overlapped gradient all-reduce, or ZeRO-1 with --zero1; the
// global batch is N x mbs sequences of the same token stream a single GPU with
// --mbs N x mbs would see. Rank 0 prints the step lines; every rank prints its
// own summary JSON (per-rank peak memory).
//   train_gpu --model gpt-1.3b --mbs 4 --seq 2048 --steps 20 [--dp 2 [--zero1]]
#include <cuda_runtime.h>
#include <stdlib.h>
#include <unistd.h>

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
#include "runtime/gpu/data_parallel.h"
#include "runtime/gpu/device_arena.h"
#include "runtime/gpu/gpt_model.h"
#include "runtime/gpu/local_launcher.h"
#include "runtime/gpu/nccl_communicator.h"

namespace parallax::gpu {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct Options {
  std::string model_name = "gpt-1.3b", json_path;
  int mbs = 4, seq = 0, steps = 20, warmup = 3, dp = 1, fail_rank = -1, fail_step = 0;
  uint64_t seed = 1234;
  double peak_tflops = 989.0, lr = 1e-4, clip = 1.0;
  bool profile = false, zero1 = false;
};

int TrainRank(const Options& o, int rank, const std::string& nccl_id_path);

int Main(int argc, char** argv) {
  CLI::App app{"Train a GPT on one GPU (bf16-mixed, cuBLASLt, flash attention)"};
  Options o;
  auto& [model_name, json_path, mbs, seq, steps, warmup, dp, fail_rank, fail_step, seed,
         peak_tflops, lr, clip, profile, zero1] = o;
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
  app.add_flag("--profile", profile, "time each op kind with CUDA events (steps after warm-up)");
  app.add_option("--dp", dp, "data-parallel ranks, one process per local GPU")->check(CLI::PositiveNumber);
  app.add_flag("--zero1", zero1, "shard AdamW states over the dp ranks (ZeRO-1)");
  app.add_option("--fail-rank", fail_rank, "test: this rank throws at --fail-step");
  app.add_option("--fail-step", fail_step, "test: step at which --fail-rank throws");
  CLI11_PARSE(app, argc, argv);
  if (dp == 1) return TrainRank(o, 0, "");
  char dir_template[] = "/tmp/parallax_nccl_XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir) throw std::runtime_error("mkdtemp failed");
  const std::string id_path = std::string(dir) + "/nccl_id";
  const int rc = RunLocalRanks(dp, [&](int rank) { return TrainRank(o, rank, id_path); });
  std::remove(id_path.c_str());
  rmdir(dir);
  return rc;
}

int TrainRank(const Options& o, int rank, const std::string& nccl_id_path) {
  const auto& [model_name, json_path, mbs, seq_flag, steps, warmup, dp, fail_rank, fail_step,
               seed, peak_tflops, lr, clip, profile, zero1] = o;
  CUDA_CHECK(cudaSetDevice(rank));
  std::unique_ptr<NcclCommunicator> comm;
  if (dp > 1) comm = std::make_unique<NcclCommunicator>(rank, dp, nccl_id_path);

  const ModelSpec m = ResolveModel(model_name);
  const int seq = seq_flag ? seq_flag : int(m.max_seq);
  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  DeviceArena arena;
  GptModel model(m, mbs, seq, seed, arena, stream,
                 zero1 ? OptimizerShard{rank, dp} : OptimizerShard{});
  std::unique_ptr<DataParallel> data_parallel;
  if (comm) data_parallel = std::make_unique<DataParallel>(model, *comm, zero1);
  const int rows = mbs * seq;
  // The global batch's token stream; this rank reads its slice.
  std::vector<int32_t> host_tokens(size_t(rows) * dp + 1);
  std::mt19937 rng{static_cast<uint32_t>(seed)};
  std::uniform_int_distribution<int32_t> pick(0, int32_t(m.vocab) - 1);
  for (auto& t : host_tokens) t = pick(rng);
  int32_t* tokens = arena.allocate_n<int32_t>("data", rows);
  int32_t* targets = arena.allocate_n<int32_t>("data", rows);
  const int32_t* mine = host_tokens.data() + size_t(rows) * rank;
  CUDA_CHECK(cudaMemcpy(tokens, mine, rows * 4, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(targets, mine + 1, rows * 4, cudaMemcpyHostToDevice));
  float* loss_buf = arena.allocate_n<float>("loss all-reduce", 1);

  const double flops_per_token = CountFlops(m, seq).model_per_token();
  const double palm_flops_per_token =
      6.0 * model.layout().param_count + 12.0 * m.num_layers * m.hidden * seq;
  AdamWConfig opt;
  opt.lr = float(lr);
  if (rank == 0)
    std::printf("model %s: %.3fB params, %d x %lld, mbs %d, seq %d, dp %d%s, %.1f GiB in the arena\n",
                m.name.c_str(), model.layout().param_count / 1e9, m.num_layers,
                (long long)m.hidden, mbs, seq, dp, zero1 ? " (ZeRO-1)" : "",
                arena.allocated_bytes() / kGiB);
  std::vector<double> step_ms;
  size_t peak_device = 0;
  float last_loss = 0;
  for (int step = 1; step <= steps; ++step) {
    CUDA_CHECK(cudaStreamSynchronize(stream));
    const auto t0 = std::chrono::steady_clock::now();
    model.profile().set_enabled(profile && step > warmup);
    model.profile().begin();
    if (rank == fail_rank && step == fail_step)
      throw std::runtime_error("injected failure at step " + std::to_string(step));
    model.forward_backward(tokens, targets, 1.0f / dp, /*accumulate=*/false);
    if (data_parallel) data_parallel->finish_gradients();
    model.optimizer_step(opt, float(clip), step);
    if (data_parallel) data_parallel->after_optimizer();
    CUDA_CHECK(cudaStreamSynchronize(stream));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    model.profile().collect();
    last_loss = model.loss();
    if (comm) {  // mean over ranks (equal token counts)
      CUDA_CHECK(cudaMemcpy(loss_buf, &last_loss, sizeof(float), cudaMemcpyHostToDevice));
      comm->all_reduce(loss_buf, 1);
      CUDA_CHECK(cudaMemcpy(&last_loss, loss_buf, sizeof(float), cudaMemcpyDeviceToHost));
      last_loss /= dp;
    }
    const float gnorm = model.grad_norm();
    peak_device = std::max(peak_device, device_used_bytes());
    step_ms.push_back(ms);
    const double tok_s = double(rows) * dp / (ms / 1e3);  // global
    if (rank == 0)
      std::printf(
        "step %3d | loss %.4f | grad norm %.3f | %8.2f ms | %8.0f tok/s | MFU %5.1f%% | peak %.2f "
        "GiB arena, %.2f GiB device\n",
        step, last_loss, gnorm, ms, tok_s,
        100.0 * tok_s / dp * flops_per_token / (peak_tflops * 1e12),
        arena.peak_bytes() / kGiB, peak_device / kGiB);
    std::fflush(stdout);
  }
  std::vector<double> tail(step_ms.begin() + std::min<int>(warmup, steps - 1), step_ms.end());
  std::sort(tail.begin(), tail.end());
  const double median_ms = tail[tail.size() / 2];
  const double tok_s = double(rows) / (median_ms / 1e3);  // per GPU
  nlohmann::json j = {
      {"model", m.name},
      {"rank", rank},
      {"dp", dp},
      {"zero1", zero1},
      {"params", model.layout().param_count},
      {"mbs", mbs},
      {"seq", seq},
      {"steps", steps},
      {"median_step_ms", median_ms},
      {"tokens_per_s_per_gpu", tok_s},
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
  if (!json_path.empty())
    std::ofstream(dp > 1 ? json_path + ".rank" + std::to_string(rank) : json_path) << j.dump(1)
        << "\n";
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
