// GPU training loop (see gpu_train.h).
#include "runtime/gpu/gpu_train.h"

#include <cuda_runtime.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "kernels/check.h"
#include "runtime/gpu/data_parallel.h"
#include "runtime/gpu/device_arena.h"
#include "runtime/gpu/gpt_model.h"
#include "runtime/gpu/local_gpus.h"
#include "runtime/gpu/nccl_communicator.h"
#include "runtime/gpu/rank_gather.h"
#include "runtime/gpu/rank_launch.h"
#include "runtime/gpu/span_trace.h"

namespace parallax::gpu {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

nlohmann::json TrainRank(const GpuTrainConfig& c, const RankPlacement& place) {
  const int mbs = c.micro_batch, steps = c.steps, warmup = c.warmup, dp = c.dp;
  const int M = c.micro_batches;
  const bool zero1 = c.zero1, profile = c.profile;
  const uint64_t seed = c.seed;
  // [launch hook] rank, GPU and NCCL-id bootstrap from rank_launch.h; a rank
  // started by mpirun / srun / torchrun builds the communicator even alone.
  const int rank = place.rank;
  CUDA_CHECK(cudaSetDevice(place.device));
  std::unique_ptr<NcclCommunicator> comm;
  if (dp > 1 || place.external) comm = std::make_unique<NcclCommunicator>(rank, dp, place.bootstrap);
  // [end launch hook]

  const ModelSpec& m = c.model;
  const int seq = c.seq ? c.seq : int(m.max_seq);
  if (steps < 1) throw std::invalid_argument("steps must be >= 1");
  if (M < 1) throw std::invalid_argument("micro_batches must be >= 1");
  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  DeviceArena arena;
  GptModel model(m, mbs, seq, seed, arena, stream,
                 zero1 ? OptimizerShard{rank, dp} : OptimizerShard{}, c.keep_norms);
  std::unique_ptr<DataParallel> data_parallel;
  if (comm) data_parallel = std::make_unique<DataParallel>(model, *comm, zero1, c.overlap);
  const int rows = mbs * seq;
  const size_t rank_rows = size_t(rows) * M;  // tokens per rank and step
  // The global batch's token stream; this rank reads its slice.
  std::vector<int32_t> host_tokens(rank_rows * dp + 1);
  std::mt19937 rng{static_cast<uint32_t>(seed)};
  std::uniform_int_distribution<int32_t> pick(0, int32_t(m.vocab) - 1);
  for (auto& t : host_tokens) t = pick(rng);
  int32_t* tokens = arena.allocate_n<int32_t>("data", rank_rows);
  int32_t* targets = arena.allocate_n<int32_t>("data", rank_rows);
  const int32_t* mine = host_tokens.data() + rank_rows * rank;
  CUDA_CHECK(cudaMemcpy(tokens, mine, rank_rows * 4, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(targets, mine + 1, rank_rows * 4, cudaMemcpyHostToDevice));
  float* loss_buf = arena.allocate_n<float>("loss all-reduce", 1);

  const double flops_per_token = CountFlops(m, seq).model_per_token();
  const double palm_flops_per_token =
      6.0 * model.layout().param_count + 12.0 * m.num_layers * m.hidden * seq;
  AdamWConfig opt;
  opt.lr = float(c.lr);
  if (rank == 0 && c.print_steps)
    std::printf(
        "model %s: %.3fB params, %d x %lld, mbs %d x %d micro-batches, seq %d, dp %d%s, %.1f GiB "
        "in the arena\n",
        m.name.c_str(), model.layout().param_count / 1e9, m.num_layers, (long long)m.hidden, mbs,
        M, seq, dp, zero1 ? " (ZeRO-1)" : "",
                arena.allocated_bytes() / kGiB);
  // [trace hook] spans of the steps after warm-up for --trace (span_trace.h)
  const bool trace = !c.trace_path.empty();
  const int first_traced = std::min(warmup, steps - 1) + 1;
  std::vector<Span> spans;
  // [end trace hook]
  std::vector<double> step_ms;
  std::vector<float> losses;
  size_t peak_device = 0;
  float last_loss = 0;
  for (int step = 1; step <= steps; ++step) {
    CUDA_CHECK(cudaStreamSynchronize(stream));
    const auto t0 = std::chrono::steady_clock::now();
    model.profile().set_enabled((profile && step > warmup) || (trace && step >= first_traced));
    if (trace && step == first_traced) {  // [trace hook]
      model.profile().set_trace(&spans);
      if (comm) comm->set_trace(model.profile().trace_origin(), &spans);
    }
    model.profile().begin(step);
    if (rank == c.fail_rank && step == c.fail_step)
      throw std::runtime_error("injected failure at step " + std::to_string(step));
    for (int mb = 0; mb < M; ++mb) {
      if (data_parallel) data_parallel->begin_micro_batch(mb + 1 == M);
      model.forward_backward(tokens + size_t(rows) * mb, targets + size_t(rows) * mb,
                             1.0f / (dp * M), /*accumulate=*/mb > 0);
    }
    if (data_parallel) data_parallel->finish_gradients();
    model.optimizer_step(opt, float(c.clip), step);
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
      comm->collect_trace();  // [trace hook]
    }
    const float gnorm = model.grad_norm();
    peak_device = std::max(peak_device, device_used_bytes());
    step_ms.push_back(ms);
    const double tok_s = double(rank_rows) * dp / (ms / 1e3);  // global
    losses.push_back(last_loss);
    if (rank == 0 && c.print_steps)
      std::printf(
        "step %3d | loss %.4f | grad norm %.3f | %8.2f ms | %8.0f tok/s | MFU %5.1f%% | peak %.2f "
        "GiB arena, %.2f GiB device\n",
        step, last_loss, gnorm, ms, tok_s,
        100.0 * tok_s / dp * flops_per_token / (c.peak_flops_per_s),
        arena.peak_bytes() / kGiB, peak_device / kGiB);
    std::fflush(stdout);
  }
  std::vector<double> tail(step_ms.begin() + std::min<int>(warmup, steps - 1), step_ms.end());
  std::sort(tail.begin(), tail.end());
  const double median_ms = tail[tail.size() / 2];
  const double tok_s = double(rank_rows) / (median_ms / 1e3);  // per GPU
  nlohmann::json j = {
      {"model", m.name},
      {"rank", rank},
      {"dp", dp},
      {"zero1", zero1},
      {"keep_norms", c.keep_norms},
      {"overlap", c.overlap},
      {"params", model.layout().param_count},
      {"mbs", mbs},
      {"micro_batches", M},
      {"seq", seq},
      {"steps", steps},
      {"median_step_ms", median_ms},
      {"tokens_per_s_per_gpu", tok_s},
      {"mfu_countflops", tok_s * flops_per_token / (c.peak_flops_per_s)},
      {"mfu_palm_6n_12lhs", tok_s * palm_flops_per_token / (c.peak_flops_per_s)},
      {"peak_arena_GiB", arena.peak_bytes() / kGiB},
      {"peak_device_used_GiB", peak_device / kGiB},
      {"final_loss", last_loss},
      {"peak_arena_bytes", arena.peak_bytes()},
      {"peak_device_used_bytes", peak_device},
      {"step_ms", step_ms},
      {"losses", losses},
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
  if (trace) j["trace_spans"] = SpansToJson(spans);  // [trace hook]
  if (place.external && dp > 1) {  // [launch hook] every launched rank's summary to every rank
    nlohmann::json all = nlohmann::json::array();
    for (const std::string& r : AllGatherStrings(dp, j.dump(), [&](const float* in, float* out, size_t n) {
           comm->all_gather_host(in, out, n);
         }))
      all.push_back(nlohmann::json::parse(r));
    return all;
  }
  return j;
}

// [trace hook] Moves the ranks' spans out of their summaries into one trace
// file, written by rank 0 (launched ranks each hold every rank's summary).
void WriteTrace(const GpuTrainConfig& c, std::vector<nlohmann::json>* summaries, bool write) {
  std::vector<RankSpans> ranks;
  size_t count = 0;
  for (nlohmann::json& s : *summaries) {
    ranks.push_back(RankSpans{s["rank"].get<int>(), SpansFromJson(s["trace_spans"])});
    count += ranks.back().spans.size();
    s.erase("trace_spans");
  }
  if (!write) return;
  const std::string& path = c.trace_path;
  WriteSpanTrace(std::move(ranks), path,
                 {{"model", c.model.name}, {"dp", c.dp}, {"zero1", c.zero1},
                  {"note", "measured: CUDA events per op (compute) and per NCCL collective (data-parallel), "
                           "steps after warm-up, time from each rank's first traced step"}});
  std::fprintf(stderr, "trace: %zu spans written to %s\n", count, path.c_str());
}

}  // namespace

int RunGpuTraining(const GpuTrainConfig& c, std::vector<nlohmann::json>* summaries) {
  summaries->clear();
  if (c.dp < 1) throw std::invalid_argument("dp must be >= 1");
  // [launch hook] one process per rank: forked here, or this process is one
  // rank started by mpirun / srun / torchrun (rank_launch.h).
  std::vector<std::string> results;
  const int rc = RunRanks(c.dp, CountLocalGpus(), ReadRankEnv(),
                          [&](const RankPlacement& p) { return TrainRank(c, p).dump(); }, &results);
  for (const std::string& r : results) {  // a launched rank returns every rank's summary
    nlohmann::json parsed = nlohmann::json::parse(r);
    if (!parsed.is_array()) parsed = nlohmann::json::array({parsed});
    for (nlohmann::json& one : parsed) summaries->push_back(std::move(one));
  }
  // [end launch hook]
  if (rc == 0 && !c.trace_path.empty()) WriteTrace(c, summaries, ReadRankEnv().rank == 0);  // [trace hook]
  return rc;
}

}  // namespace parallax::gpu
