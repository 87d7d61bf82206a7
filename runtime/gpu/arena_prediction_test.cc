// The memory model's parallax-gpu activation layout (simulator/memory_model.cc)
// against this runtime's device arena: the arena is recounted here buffer by
// buffer as gpt_model.cc and gpu_train.cc allocate it, over the padded
// parameter buffers of MakeGptLayout (CPU code), and against the arena peaks
// measured on an H200 (bench/results/2026-11-29-gpu-model.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "core/test_job.h"
#include "runtime/gpu/gpt_layout.h"
#include "simulator/memory_model.h"

namespace parallax {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct Arena {
  double bytes = 0;
  double unmodelled = 0;  // what the memory model leaves out: parameter padding, 256-byte scalars
};

// Bytes the runtime's arena holds for `job` (one GPU, norm outputs recomputed,
// ZeRO-1 over dp when zero = 1); each allocation is rounded up to 256 bytes.
Arena ArenaOf(const Job& job) {
  const ModelSpec& m = job.model;
  const int world = job.parallel.zero == 1 ? job.parallel.dp : 1;
  const gpu::GptLayout layout = gpu::MakeGptLayout(m, size_t(job.parallel.dp) * 128);
  const double P = double(layout.total_elems), S = P / world;
  const double T = double(job.training.micro_batch * job.training.seq), h = m.hidden, f = m.ffn_hidden;
  const double q = m.q_width(), qkv = q + 2.0 * m.kv_width();
  const bool swiglu = m.activation == Activation::kSwiGlu;
  const double up = swiglu ? 2 * f : f, stats = m.norm == Norm::kLayerNorm ? 2 : 1;
  auto rounded = [](double bytes) { return std::ceil(bytes / 256) * 256; };
  double b = 2 * P + 4 * P + 3 * 4 * S;  // weights bf16, grads, master + Adam m, v
  b += 2 * T * h;                        // norm recompute
  const double layer = 2 * T * h + stats * 4 * T + 2 * T * qkv + 2 * T * q +
                       4 * T * m.heads + 2 * T * h + stats * 4 * T + 2 * T * up;
  b += m.num_layers * layer;
  b += 2 * T * h + 2 * T * h + stats * 4 * T;                           // x_final, nf, final stats
  b += 2 * T * m.vocab + 2 * 4 * T;                                    // logits, losses x 2
  b += 2 * T * (h + std::max(h, q) + h + qkv + f + f + (swiglu ? up : 0));  // bwd scratch
  b += rounded(T * m.heads * (m.head_dim * 4.0 + 4));                  // flash bwd workspace
  b += rounded(4) + 2 * 4 * T * job.micro_batches() + rounded(4);        // optimizer scalars, data, loss
  const double padding = P - double(layout.param_count);
  return {b, (2 + 4) * padding + 3 * 4 * padding / world + 2 * rounded(4)};
}

Job RuntimeJob(const std::string& model) {
  Job job = MakeJob(model, "h200x4-measured", 1, 1, 1, /*gbs=*/4, /*mbs=*/4, /*seq=*/2048);
  job.training.activation_layout = ActivationLayout::kParallaxGpu;
  return job;
}

void ExpectMatchesArena(const std::string& model, double measured_arena_gib) {
  const Job job = RuntimeJob(model);
  const MemoryReport report = EstimateMemory(job);
  const StageMemory& row = report.ranks.at(0);
  const Arena arena = ArenaOf(job);
  EXPECT_NEAR(row.allocated_peak_bytes, arena.bytes, arena.unmodelled) << model;
  EXPECT_LT(arena.unmodelled, 1e-5 * arena.bytes);
  EXPECT_NEAR(row.allocated_peak_bytes / kGiB / measured_arena_gib, 1.0, 0.02) << model;
  EXPECT_EQ(row.peak_phase, "backward start");
}

TEST(ArenaPrediction, Gpt13bMatchesTheRuntimesArena) { ExpectMatchesArena("gpt-1.3b", 30.93); }
TEST(ArenaPrediction, Llama15bMatchesTheRuntimesArena) { ExpectMatchesArena("llama-1.5b", 35.67); }

TEST(ArenaPrediction, DataParallelZero1ShardsOnlyTheOptimizer) {
  Job job = RuntimeJob("gpt-1.3b");
  job.parallel.dp = 4;
  job.parallel.zero = 1;
  job.training.global_batch = 32;  // 2 micro-batches per rank: more token ids, same activations
  const Arena arena = ArenaOf(job);
  EXPECT_NEAR(EstimateMemory(job).ranks.at(0).allocated_peak_bytes, arena.bytes, arena.unmodelled);
}

TEST(ArenaPrediction, MegatronLayoutStaysTheDefault) {
  Job job = RuntimeJob("gpt-1.3b");
  const int64_t ours = EstimatePeakBytes(job);
  job.training.activation_layout = ActivationLayout::kMegatron;
  EXPECT_GT(EstimatePeakBytes(job), ours);
  EXPECT_EQ(EstimatePeakBytes(job), EstimatePeakBytes(MakeJob("gpt-1.3b", "h200x4-measured", 1, 1, 1, 4, 4, 2048)));
}

}  // namespace
}  // namespace parallax
