// A dense decoder built from core's ModelSpec, GPT-style (learned positions,
// LayerNorm, GELU, tied embeddings, biases) or Llama-style (RoPE, RMSNorm,
// SwiGLU, GQA, untied head), the same model as the CPU backend
// (runtime/model_forward_backward.h), trained on one GPU with the bf16-mixed
// recipe of simulator/memory_model.h: bf16 weights and
// activations for compute, fp32 master weights, fp32 gradients (wgrad GEMMs
// accumulate into them), fp32 Adam m and v: 2 + 4 + 4 + 4 + 4 = 18 bytes/param.
// GEMMs go through cuBLASLt (kernels/gemm.h) with the bias in its epilogue; the
// residual add is the GEMM's beta = 1 onto a copy of the stream. Every buffer is
// taken from the DeviceArena in the constructor: a step allocates nothing.
// Saved per layer: norm inputs, outputs and statistics, q/k/v (after RoPE),
// attention out and LSE, the MLP up-projection (GELU / SwiGLU is recomputed in
// backward). All work goes to `stream`.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/model.h"
#include "kernels/adamw.h"
#include "kernels/gemm.h"
#include "runtime/gpu/device_arena.h"
#include "runtime/gpu/gpt_layout.h"
#include "runtime/gpu/stream_profile.h"

namespace parallax::gpu {

// Which part of the optimizer states this rank holds: the whole (world 1, and
// plain data parallelism) or 1/world of the flat buffer (ZeRO-1).
struct OptimizerShard {
  int rank = 0, world = 1;
};

// Calls a data-parallel driver hooks into the step (all optional).
struct DataParallelHooks {
  // Gradients in [begin, end) (elements, a GradBucket of the layout) are final
  // for this backward: the untied head after its GEMM, one call per layer as
  // soon as its backward is done (the layer's matrices), then the embeddings
  // and the norms/biases at the end. Runs on the host in stream order; it may
  // enqueue work on another stream after an event.
  std::function<void(size_t begin, size_t end)> grads_ready;
  // ZeRO-1: turn this shard's gradient sum of squares (device float) into the
  // global one before clipping.
  std::function<void(float* sumsq)> reduce_sumsq;
};

class GptModel {
 public:
  // Weights initialised as the CPU backend's InitParams(seed) (normal 0.02,
  // residual projections 0.02 / sqrt(2 layers), norms 1 / 0); seq <= m.max_seq.
  // With shard.world > 1 every gradient bucket is padded to a multiple of
  // world x 128 and master weights, m and v hold only this rank's 1/world of
  // each bucket (ZeRO-1); weights and gradients stay whole.
  GptModel(const ModelSpec& m, int micro_batch, int seq, uint64_t seed, DeviceArena& arena,
           cudaStream_t stream, OptimizerShard shard = {});
  void set_hooks(DataParallelHooks hooks) { hooks_ = std::move(hooks); }
  // Replaces the weights with `full` (fp32, host, padded_elems() or
  // layout().total_elems long, this layout): master shard and bf16 copy.
  void load_weights(const std::vector<float>& full);

  // Forward and backward of one micro-batch (device int32 [micro_batch, seq]).
  // Gradients are of loss_scale * mean loss; accumulate=false overwrites the
  // gradients, true adds to them. Enqueued only; loss() reads the result.
  void forward_backward(const int32_t* tokens, const int32_t* targets, float loss_scale,
                        bool accumulate);
  // Mean loss of the last forward_backward (synchronizes the stream).
  float loss();

  // Global-norm clipping (max_norm <= 0: none) and AdamW on fp32 master
  // weights; decay on matrices and embeddings only; refreshes the bf16 weights
  // (with ZeRO-1 only this shard's range of them: the caller all-gathers).
  void optimizer_step(const AdamWConfig& cfg, float max_norm, int step);
  // Gradient norm before clipping of the last optimizer_step (synchronizes).
  float grad_norm();

  const GptLayout& layout() const { return layout_; }
  const ModelSpec& spec() const { return m_; }
  __nv_bfloat16* weights() { return w_; }
  float* master() { return master_; }
  float* grads() { return grads_; }
  cudaStream_t stream() const { return stream_; }
  StreamProfile& profile() { return profile_; }  // per-op time breakdown (off by default)
  int tokens_per_micro_batch() const { return rows_; }
  size_t padded_elems() const { return padded_; }  // length of weights() and grads()
  size_t shard_elems() const { return shard_n_; }  // length of master() (and m, v)

 private:
  struct LayerActs {
    __nv_bfloat16 *x, *n1, *qkv, *attn, *mid, *n2, *up;  // qkv: [q | k | v] planes
    float *mean1, *rstd1, *lse, *mean2, *rstd2;            // mean: LayerNorm only
  };
  void gemm(const __nv_bfloat16* a, bool ta, const __nv_bfloat16* b, bool tb, void* c, GemmOut ct,
            int m, int n, int k, float beta, const __nv_bfloat16* bias = nullptr);
  // Norm `w`/`b` (layout offsets; b < 0: none) over [rows_, hidden].
  void norm_forward(const __nv_bfloat16* x, int64_t w, int64_t b, __nv_bfloat16* y, float* mean,
                    float* rstd);
  void norm_backward(const __nv_bfloat16* dy, const __nv_bfloat16* x, int64_t w, int64_t b,
                     const float* mean, const float* rstd, __nv_bfloat16* dx);
  void activation_forward(const __nv_bfloat16* up, __nv_bfloat16* act);
  void bucket_ready(int bucket);
  void init_weights(uint64_t seed);
  // Copies this rank's part of each bucket of `full` (fp32, device) to master.
  void copy_master_shard(const float* full);

  ModelSpec m_;
  GptLayout layout_;
  int mbs_, seq_, rows_;
  OptimizerShard shard_;
  size_t padded_, shard_n_;
  std::vector<size_t> shard_offset_;  // per bucket: where its part starts in master, m, v
  DataParallelHooks hooks_;
  cudaStream_t stream_;
  StreamProfile profile_;
  GemmRunner gemm_;
  // Model states.
  __nv_bfloat16* w_;
  float *master_, *grads_, *adam_m_, *adam_v_;
  // Activations.
  std::vector<LayerActs> acts_;
  __nv_bfloat16 *x_final_, *nf_, *logits_;
  float *meanf_, *rstdf_, *losses_;
  // Backward scratch (dup_ is act_ for GELU).
  __nv_bfloat16 *dres_, *dtmp_, *dn_, *dqkv_, *act_, *dact_, *dup_;
  void* attn_ws_;
  float* grad_sumsq_;
};

}  // namespace parallax::gpu
