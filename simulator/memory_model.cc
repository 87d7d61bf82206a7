// The memory model. The peak is taken over the two phases of a step where
// memory is highest — backward start (all in-flight activations, the loss
// transient) and the optimizer step — rather than by adding maxima that never
// coexist. Formulas: ZeRO paper Sec. 3.1 (model states), Megatron's
// distributed optimizer (18 / 6 + 12/d bytes per parameter), Korthikanti 2022
// (activations, see activations.cc).
#include "simulator/memory_model.h"

#include <algorithm>
#include <cmath>

#include "simulator/activations.h"

namespace parallax {

int64_t PaddedVocab(const Job& job) {
  const int64_t multiple = 128 * job.parallel.tp;
  return (job.model.vocab + multiple - 1) / multiple * multiple;
}

ModelStateBytes ModelStates(double params, Precision precision, int zero, int dp) {
  const PrecisionBytes b = BytesOf(precision);
  ModelStateBytes m;
  m.weights = b.weight * params / (zero >= 3 ? dp : 1);
  m.gradients = b.gradient * params / (zero >= 2 ? dp : 1);
  m.optimizer = b.optimizer * params / (zero >= 1 ? dp : 1);
  return m;
}

StageParams ParamsOnStage(const Job& job, const std::vector<int>& per_stage, int stage) {
  const ModelSpec& m = job.model;
  const ParallelConfig& p = job.parallel;
  int first_layer = 0;
  for (int s = 0; s < stage; ++s) first_layer += per_stage[s];
  StageParams out;
  const double t = p.tp;
  // A layer's parameters depend only on whether it is an MoE layer: two values, computed once.
  double dense_of[2] = {-1, -1}, expert_of[2] = {-1, -1};
  for (int l = first_layer; l < first_layer + per_stage[stage]; ++l) {
    const int moe = m.IsMoeLayer(l);
    if (dense_of[moe] < 0) {
      const LayerParams lp = CountLayerParams(m, l);
      dense_of[moe] = (lp.attention + lp.dense_mlp + lp.shared_expert_mlp) / t + lp.norms + lp.router;
      expert_of[moe] = static_cast<double>(lp.expert_mlp_each) * lp.num_experts / (t * p.ep);
    }
    const double dense = dense_of[moe], expert = expert_of[moe];
    out.dense += dense;
    out.expert += expert;
    out.largest_layer = std::max(out.largest_layer, dense + expert);
  }
  const double vocab_h = static_cast<double>(PaddedVocab(job)) * m.hidden / t;
  if (stage == 0) {
    out.embedding = vocab_h;  // word embeddings, vocab-parallel
    if (m.position == Position::kLearned) out.embedding += static_cast<double>(m.max_seq) * m.hidden;
    out.dense += out.embedding;
  }
  if (stage == p.pp - 1) {
    out.dense += m.norm == Norm::kLayerNorm ? 2 * m.hidden : m.hidden;
    // Untied output layer; or, tied with pp > 1, Megatron's copy of the embeddings on the last stage.
    if (!m.tied_embeddings || p.pp > 1) out.dense += vocab_h;
  }
  return out;
}

StageParams ParamsOnStage(const Job& job, int stage) { return ParamsOnStage(job, job.StageLayers(), stage); }

namespace {

enum Category {
  kWeights, kGradients, kOptimizer, kActivations, kTransient, kStepTransient, kPersistent, kOverhead, kNumCategories
};
const char* const kCategoryText[kNumCategories] = {"weights",   "gradients",      "optimizer",  "activations",
                                                    "transient", "step transient", "persistent", "overhead"};

const char* NameOf(const char* name) { return name; }
template <typename MakeName>
std::string NameOf(const MakeName& make) { return make(); }

// Sums each category's terms (rounded to bytes, as the report lists them);
// with a row, also records the named terms (the string-free path has none).
struct Builder {
  StageMemory* row;
  double total[kNumCategories] = {};
  template <typename Name>
  void Add(Category category, const Name& name, double bytes) {
    if (bytes <= 0) return;
    const int64_t rounded = static_cast<int64_t>(std::llround(bytes));
    total[category] += rounded;
    if (row) row->terms.push_back({kCategoryText[category], NameOf(name), rounded});
  }
};

// Buffers of runtime/gpu/gpt_model.cc and gpu_train.cc besides the model
// states and the saved activations, all allocated once in the device arena
// (so they count at every phase): one rebuilt norm output, the bf16 logits
// (overwritten by their gradient), per-token losses, the backward's
// gradients of one layer and flash attention's workspace, and the token ids
// and targets of every micro-batch of the step (int32).
template <typename Add>
void AddParallaxGpuBuffers(const Job& job, double sb, Add&& add) {
  const ModelSpec& m = job.model;
  const double h = m.hidden, q = m.q_width(), qkv = q + 2.0 * m.kv_width(), f = m.ffn_hidden;
  const double swiglu_up = m.activation == Activation::kSwiGlu ? 2 * f : 0;  // own buffer for d(gate|up)
  add("norm output recompute buffer", 2 * sb * h);
  add("logits / their gradient (bf16)", 2 * sb * m.vocab);
  add("per-token losses (fp32, 2 buffers)", 2 * 4 * sb);
  add("backward scratch (one layer's gradients)", 2 * sb * (h + std::max(h, q) + h + qkv + f + f + swiglu_up));
  add("flash attention backward workspace (fp32)", 4 * sb * m.heads * (m.head_dim + 1.0));
  add("token ids + targets (int32, all micro-batches)", 2 * 4 * sb * job.micro_batches());
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), v == std::floor(v) ? "%.0f" : "%.2f", v);
  return buf;
}

// One stage's peak bytes; with `row`, also its named terms and the rest of
// the report row. Both paths add the same numbers in the same order.
int64_t EstimateStage(const Job& job, const std::vector<int>& per_stage, int stage, StageMemory* row) {
  const ModelSpec& m = job.model;
  const ParallelConfig& p = job.parallel;
  const TrainingConfig& tr = job.training;
  const ClusterSpec& cl = job.cluster;
  const bool amp = tr.precision == Precision::kAmp;
  const int dp_shards = p.dp * p.cp;                 // the data-parallel group the optimizer shards over
  const int expert_dp = std::max(1, dp_shards / p.ep);

  const int layers = per_stage[stage];
  Builder add{row};

  // Model states.
  const StageParams params = ParamsOnStage(job, per_stage, stage);
  const ModelStateBytes dense = ModelStates(params.dense, tr.precision, p.zero, dp_shards);
  const ModelStateBytes expert = ModelStates(params.expert, tr.precision, p.zero, expert_dp);
  add.Add(kWeights, "weights", dense.weights + expert.weights);
  add.Add(kGradients, "gradients", dense.gradients + expert.gradients);
  add.Add(kOptimizer, amp ? "Adam m, v (fp32)" : "fp32 master weights + Adam m, v",
          dense.optimizer + expert.optimizer);

  // Activations: per-layer bytes times the micro-batches in flight.
  const int64_t micro_batches = job.micro_batches();
  const double inflight = InflightMicroBatches(p, micro_batches, stage);
  int first_layer = 0;
  for (int s = 0; s < stage; ++s) first_layer += per_stage[s];
  double per_micro_batch = 0, working_set = 0;
  // A layer's bytes depend only on whether it is an MoE layer and whether it
  // is recomputed (its place in its chunk): four values, computed once.
  double layer_bytes[2][2] = {{-1, -1}, {-1, -1}}, layer_working_set[2] = {-1, -1};
  const int chunk_layers = std::max(1, layers / p.vpp);
  for (int l = first_layer; l < first_layer + layers; ++l) {
    const int moe = m.IsMoeLayer(l);
    const Recompute rc = LayerRecompute(p, (l - first_layer) % chunk_layers);
    const int kept = rc != p.recompute;  // a layer partial recompute leaves out
    if (layer_bytes[moe][kept] < 0) layer_bytes[moe][kept] = LayerActivationBytes(job, l, rc);
    if (layer_working_set[moe] < 0) layer_working_set[moe] = RecomputeWorkingSetBytes(job, l);
    per_micro_batch += layer_bytes[moe][kept];
    if (!kept) working_set = std::max(working_set, layer_working_set[moe]);
  }
  const double sb = static_cast<double>(tr.seq) / p.cp * tr.micro_batch;
  const double sp = p.sp ? p.tp : 1;
  const bool parallax_gpu = tr.activation_layout == ActivationLayout::kParallaxGpu;
  const bool last = stage == p.pp - 1;
  const double vocab_local = static_cast<double>(PaddedVocab(job)) / p.tp;
  if (parallax_gpu) {
    // Final residual stream and final norm output (bf16) with its statistics.
    if (last) per_micro_batch += 2 * 2 * sb * m.hidden + (m.norm == Norm::kLayerNorm ? 2 : 1) * 4 * sb;
  } else {
    if (stage == 0 && m.dropout > 0) per_micro_batch += sb * m.hidden / sp;  // embedding dropout mask
    if (stage == 0) per_micro_batch += 8 * sb;                              // token ids (int64)
    if (last) {
      per_micro_batch += (amp ? 4 : 2) * sb * m.hidden / sp + 2 * sb * m.hidden;  // final norm + LM head inputs
    }
  }
  add.Add(kActivations,
          [&] {
            return "activations: " + Fmt(inflight) + " micro-batches x " + std::to_string(layers) + " layers";
          },
          per_micro_batch * inflight);
  add.Add(kTransient, "full-recompute working set (one layer rebuilt)", working_set);

  // Loss transient on the last stage: fp32 softmax/log-probs kept for the
  // backward, bf16 logits while they are made; at backward start the
  // gradient of the log-probs and its input exist as well (autocast), or the
  // fused vocab-parallel kernel overwrites in place (Megatron).
  if (parallax_gpu) {
    AddParallaxGpuBuffers(job, sb, [&](const char* name, double bytes) { add.Add(kPersistent, name, bytes); });
  } else if (last) {
    const double logits = sb * vocab_local;
    add.Add(kTransient, "logits + cross-entropy (transient)", amp ? 3 * 4 * logits : 4 * logits + 2 * logits);
  }
  if (amp) {
    // Autocast caches bf16 copies of every matmul weight for the backward.
    double matmul = params.dense + params.expert;
    matmul -= stage == 0 && m.position == Position::kLearned ? static_cast<double>(m.max_seq) * m.hidden : 0;
    add.Add(kTransient, "autocast bf16 weight copies", 2 * matmul);
    if (p.dp > 1 && p.zero == 0) {
      add.Add(kPersistent, "DDP gradient buckets (fp32 copy of the gradients)", dense.gradients + expert.gradients);
    }
  }
  if (tr.precision == Precision::kFp16Mixed) {
    // 16-bit gradients become fp32 for the step: Megatron's fp16 optimizer
    // (main_param.grad = model_param.main_grad.float()) and DeepSpeed's fp16 /
    // ZeRO optimizers make an fp32 copy of the (ZeRO >= 1: sharded) gradients.
    const double shard = p.zero >= 1 ? dp_shards : 1, expert_shard = p.zero >= 1 ? expert_dp : 1;
    add.Add(kStepTransient, "fp32 copy of the 16-bit gradients (optimizer step)",
            4.0 * (params.dense / shard + params.expert / expert_shard));
  }
  if (p.zero >= 3) {
    // Gathered full weights of the current and the prefetched layer.
    add.Add(kTransient, "ZeRO-3 gathered weights (current + prefetch)", 2.0 * BytesOf(tr.precision).weight * params.largest_layer);
  }

  // Fixed overheads.
  const int communicators = (p.tp > 1) + (p.pp > 1) + (p.dp > 1) + (p.cp > 1) + (p.ep > 1);
  add.Add(kOverhead, "CUDA context + library workspaces", static_cast<double>(cl.overheads.cuda_context_bytes));
  add.Add(kOverhead, [&] { return "NCCL buffers (" + std::to_string(communicators) + " communicators)"; },
          static_cast<double>(cl.overheads.nccl_bytes) * communicators);

  // Two candidate peaks. Backward start: model states (gradients only if
  // resident between steps) + activations + transients + overheads.
  // Optimizer step: all model states + the step's transients + persistent buffers + overheads.
  // (Terms are whole bytes, so the category sums are exact in any order.)
  const double* sum = add.total;
  const bool grads_resident = !amp;  // Megatron keeps its main-grad buffer; PyTorch frees .grad (set_to_none)
  const double weights = sum[kWeights], grads = sum[kGradients], optim = sum[kOptimizer];
  const double overhead = sum[kOverhead], persistent = sum[kPersistent];
  const double backward_start = weights + optim + (grads_resident ? grads : 0) + sum[kActivations] +
                                sum[kTransient] + persistent + overhead;
  const double optimizer_step = weights + optim + grads + sum[kStepTransient] + persistent + overhead;
  const bool at_backward = backward_start >= optimizer_step;
  // The GPU runtime's arena cudaMallocs each buffer once: no caching-allocator fragmentation.
  const double fragmentation = (parallax_gpu ? 0 : cl.overheads.fragmentation) * (std::max(backward_start, optimizer_step) - overhead);
  add.Add(kOverhead, "allocator fragmentation", fragmentation);
  const int64_t peak_bytes = static_cast<int64_t>(std::max(backward_start, optimizer_step) + fragmentation);
  if (!row) return peak_bytes;

  row->stage = stage;
  row->layers = layers;
  row->inflight_micro_batches = inflight;
  row->peak_phase = at_backward ? "backward start" : "optimizer step";
  row->weights_bytes = static_cast<int64_t>(weights);
  row->gradients_bytes = static_cast<int64_t>(grads);
  row->optimizer_bytes = static_cast<int64_t>(optim);
  row->activations_bytes = at_backward ? static_cast<int64_t>(sum[kActivations]) : 0;
  row->peak_bytes = peak_bytes;
  row->allocated_peak_bytes = static_cast<int64_t>(std::max(backward_start, optimizer_step) - overhead);
  const bool grads_at_peak = grads_resident || !at_backward;
  row->other_bytes = row->peak_bytes - row->weights_bytes - row->optimizer_bytes -
                     (grads_at_peak ? row->gradients_bytes : 0) - row->activations_bytes;
  return peak_bytes;
}

}  // namespace

MemoryReport EstimateMemory(const Job& job) {
  MemoryReport report;
  report.capacity_bytes = job.cluster.gpu.memory_bytes;
  const std::vector<int> per_stage = job.StageLayers();
  for (int s = 0; s < job.parallel.pp; ++s) {
    report.ranks.emplace_back();
    report.peak_bytes = std::max(report.peak_bytes, EstimateStage(job, per_stage, s, &report.ranks.back()));
    const StageParams sp = ParamsOnStage(job, per_stage, s);
    report.params_per_gpu_max = std::max<int64_t>(report.params_per_gpu_max, static_cast<int64_t>(sp.dense + sp.expert));
  }
  return report;
}

int64_t EstimatePeakBytes(const Job& job) {
  const std::vector<int> per_stage = job.StageLayers();
  int64_t peak = 0;
  for (int s = 0; s < job.parallel.pp; ++s) peak = std::max(peak, EstimateStage(job, per_stage, s, nullptr));
  return peak;
}

}  // namespace parallax
