// How the model is trained (batch, sequence, precision recipe) and how the
// work is split (tp, pp, dp, cp, ep, virtual stages, ZeRO, sequence parallel,
// recompute, attention kernel, pipeline schedule). A Job bundles these with
// the model and cluster: it is what `parallax memory/simulate/run` take and
// what a plan.json holds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/cluster.h"
#include "core/model.h"

namespace parallax {

// Precision recipes and their bytes per parameter (weights, grads, optimizer):
//  kBf16Mixed: Megatron — bf16 weights, fp32 main grads, fp32 master + Adam m, v (2+4+12 = 18)
//  kFp16Mixed: ZeRO paper / DeepSpeed — 16-bit weights and grads, fp32 master + m, v (2+2+12 = 16)
//  kAmp:       PyTorch autocast — fp32 weights and grads, fp32 Adam m, v, bf16 compute (4+4+8 = 16)
enum class Precision { kBf16Mixed, kFp16Mixed, kAmp };
enum class Recompute { kNone, kSelective, kFull };
enum class AttentionKernel { kFlash, kUnfused };
enum class ScheduleKind { kGPipe, k1F1B, kInterleaved, kZbH1 };
// Which tensors a training step keeps for its backward (simulator/activations.cc):
// Megatron-LM's (Korthikanti 2022), or this repository's GPU runtime's
// (runtime/gpu/gpt_model.cc: static device arena, norm outputs recomputed).
enum class ActivationLayout { kMegatron, kParallaxGpu };

const std::vector<std::pair<std::string, Precision>>& PrecisionNames();
const std::vector<std::pair<std::string, Recompute>>& RecomputeNames();
const std::vector<std::pair<std::string, AttentionKernel>>& AttentionNames();
const std::vector<std::pair<std::string, ScheduleKind>>& ScheduleNames();
const std::vector<std::pair<std::string, ActivationLayout>>& ActivationLayoutNames();

template <typename T>
std::string NameOf(const std::vector<std::pair<std::string, T>>& table, T value) {
  for (const auto& [name, v] : table)
    if (v == value) return name;
  return "?";
}

// Hardware FLOPs per token: model FLOPs (core/model.h) plus recomputation.
// Full recompute repeats every transformer layer's forward (not the logits):
// 96Bslh²(1 + s/6h + V/16lh) in Narayanan et al. 2021's notation. Selective
// recompute follows Korthikanti et al. 2022 Sec. 6, 72Bslh²(1 + s/3h + V/12lh),
// the convention behind Megatron's published HFU (it counts the recomputed
// attention core at three times its forward FLOPs).
double HardwareFlopsPerToken(const ModelSpec& m, int64_t seq, Recompute recompute);

struct PrecisionBytes {
  int weight = 0;      // model weights kept for compute
  int gradient = 0;    // gradient accumulation buffer
  int optimizer = 0;   // master weights (if any) + Adam m, v
  int activation = 2;  // stored activations (bf16)
};
PrecisionBytes BytesOf(Precision p);

struct TrainingConfig {
  int64_t global_batch = 0;  // sequences per optimizer step
  int64_t seq = 0;
  int64_t micro_batch = 1;
  Precision precision = Precision::kBf16Mixed;
  ActivationLayout activation_layout = ActivationLayout::kMegatron;
};

struct ParallelConfig {
  int tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  int vpp = 1;       // virtual pipeline stages (model chunks) per GPU
  int zero = 0;      // 0: plain DP; 1: optimizer states (= Megatron distributed optimizer); 2: + grads; 3: + weights
  bool sp = false;   // sequence parallel (needs tp > 1 to matter)
  Recompute recompute = Recompute::kNone;
  // With full recompute: how many layers of each model chunk (the first ones)
  // are recomputed; the others keep their activations. 0 = every layer.
  // Megatron's --recompute-method block --recompute-num-layers N.
  int recompute_layers = 0;
  AttentionKernel attention = AttentionKernel::kFlash;
  ScheduleKind schedule = ScheduleKind::k1F1B;
  // Data-parallel gradient reduction overlapped with the backward, bucket by
  // bucket (Megatron's --overlap-grad-reduce, PyTorch DDP); false: one
  // reduction after the whole backward (Megatron 2021's --DDP-impl local).
  bool overlap_grad_reduce = true;
  // Pipeline sends / receives run beside compute (true), or block it (false:
  // Megatron-LM 2021's batch_isend_irecv, req.wait() and cuda synchronize
  // after every exchange, so each forward and backward waits for its transfer).
  bool overlap_p2p = true;
  // Transformer layers on each pipeline stage (size pp); empty = even split.
  std::vector<int> stage_layers;

  int gpus() const { return tp * pp * dp * cp; }
};

// The recompute a layer gets from its position in its model chunk (0 = the
// chunk's first layer): full recompute with recompute_layers = N covers only
// the first N layers of each chunk; the rest run without recompute.
inline Recompute LayerRecompute(const ParallelConfig& p, int index_in_chunk) {
  if (p.recompute == Recompute::kFull && p.recompute_layers > 0 && index_in_chunk >= p.recompute_layers) {
    return Recompute::kNone;
  }
  return p.recompute;
}


struct Job {
  ModelSpec model;
  ClusterSpec cluster;
  TrainingConfig training;
  ParallelConfig parallel;

  int64_t micro_batches() const {  // per pipeline per step (gradient accumulation steps)
    return training.global_batch / (training.micro_batch * parallel.dp);
  }
  // Layers of each stage (resolves the even split).
  std::vector<int> StageLayers() const;
};

}  // namespace parallax
