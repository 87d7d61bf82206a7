// Framework exports. Names checked against the frameworks' own sources/docs:
//  Megatron-LM: megatron/training/arguments.py
//    (https://github.com/NVIDIA/Megatron-LM/blob/main/megatron/training/arguments.py):
//    --tensor-model-parallel-size, --pipeline-model-parallel-size, --context-parallel-size,
//    --expert-model-parallel-size, --num-layers-per-virtual-pipeline-stage,
//    --num-virtual-stages-per-pipeline-rank, --decoder-first-pipeline-num-layers,
//    --decoder-last-pipeline-num-layers, --sequence-parallel, --use-distributed-optimizer,
//    --recompute-granularity, --recompute-method, --recompute-num-layers, --micro-batch-size,
//    --global-batch-size, --seq-length, --overlap-p2p-communication (interleaved only; without it
//    arguments.py asserts pp > 2 for the interleaved schedule).
//  torchtitan: torchtitan/config/job_config.py, Parallelism and ActivationCheckpoint
//    (https://github.com/pytorch/torchtitan/blob/main/docs/ and job_config.py): data_parallel_replicate_degree,
//    data_parallel_shard_degree, tensor_parallel_degree, pipeline_parallel_degree, context_parallel_degree,
//    expert_parallel_degree, pipeline_parallel_schedule (torch.distributed.pipelining names),
//    pipeline_parallel_microbatch_size, module_fqns_per_model_part; [activation_checkpoint] mode.
//  DeepSpeed: https://www.deepspeed.ai/docs/config-json/ — train_batch_size,
//    train_micro_batch_size_per_gpu, gradient_accumulation_steps, bf16/fp16 "enabled",
//    zero_optimization "stage", "overlap_comm", "contiguous_gradients".
#include "planner/emit.h"

#include <nlohmann/json.hpp>

namespace parallax {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

bool EvenSplit(const Job& job) {
  const auto layers = job.StageLayers();
  for (int x : layers)
    if (x != layers[0]) return false;
  return true;
}

}  // namespace

const std::vector<std::pair<std::string, EmitFormat>>& EmitFormatNames() {
  static const std::vector<std::pair<std::string, EmitFormat>> t = {
      {"megatron", EmitFormat::kMegatron}, {"torchtitan", EmitFormat::kTorchtitan}, {"deepspeed", EmitFormat::kDeepspeed}};
  return t;
}

std::string EmitMegatron(const Job& job) {
  const ParallelConfig& p = job.parallel;
  const TrainingConfig& t = job.training;
  const ModelSpec& m = job.model;
  std::vector<std::string> args, notes;
  auto arg = [&](const std::string& name, const std::string& value = "") {
    args.push_back(value.empty() ? name : name + " " + value);
  };
  // Model shape.
  arg("--num-layers", S(m.num_layers));
  arg("--hidden-size", S(m.hidden));
  arg("--ffn-hidden-size", S(m.ffn_hidden));
  arg("--num-attention-heads", S(m.heads));
  if (m.kv_heads != m.heads) {
    arg("--group-query-attention");
    arg("--num-query-groups", S(m.kv_heads));
  }
  if (m.activation == Activation::kSwiGlu) arg("--swiglu");
  if (m.norm == Norm::kRmsNorm) arg("--normalization", "RMSNorm");
  if (m.position == Position::kRope) arg("--position-embedding-type", "rope");
  if (!m.tied_embeddings) arg("--untie-embeddings-and-output-weights");
  if (!m.linear_bias) arg("--disable-bias-linear");
  if (m.moe.enabled()) {
    arg("--num-experts", S(m.moe.num_experts));
    arg("--moe-router-topk", S(m.moe.top_k));
  }
  arg("--seq-length", S(t.seq));
  arg("--max-position-embeddings", S(std::max(m.max_seq, t.seq)));
  // Split.
  arg("--tensor-model-parallel-size", S(p.tp));
  arg("--pipeline-model-parallel-size", S(p.pp));
  if (p.cp > 1) arg("--context-parallel-size", S(p.cp));
  if (p.ep > 1) arg("--expert-model-parallel-size", S(p.ep));
  const bool even = EvenSplit(job);
  if (!even) {
    const auto layers = job.StageLayers();
    arg("--decoder-first-pipeline-num-layers", S(layers.front()));
    arg("--decoder-last-pipeline-num-layers", S(layers.back()));
    if (p.vpp > 1) arg("--num-virtual-stages-per-pipeline-rank", S(p.vpp));
  } else if (p.vpp > 1) {
    arg("--num-layers-per-virtual-pipeline-stage", S(m.num_layers / (p.pp * p.vpp)));
  }
  // Megatron overlaps pipeline exchanges only in the interleaved schedule, on request.
  if (p.schedule == ScheduleKind::kInterleaved && p.overlap_p2p) arg("--overlap-p2p-communication");
  if (p.sp) arg("--sequence-parallel");
  if (p.zero == 1) arg("--use-distributed-optimizer");
  // parallax simulates the bucketed reduction overlapped with the backward unless told otherwise.
  if (p.overlap_grad_reduce && p.dp * p.cp > 1 && p.zero <= 1) arg("--overlap-grad-reduce");
  if (p.zero >= 2) notes.push_back("ZeRO-" + S(p.zero) + " has no pretrain_gpt.py flag here; use --emit deepspeed");
  if (p.recompute == Recompute::kSelective) arg("--recompute-granularity", "selective");
  if (p.recompute == Recompute::kFull) {
    arg("--recompute-granularity", "full");
    // Every layer its own checkpoint, or (block) the first N layers of each chunk.
    arg("--recompute-method", p.recompute_layers > 0 ? "block" : "uniform");
    arg("--recompute-num-layers", S(p.recompute_layers > 0 ? p.recompute_layers : 1));
  }
  if (p.schedule == ScheduleKind::kGPipe && p.pp > 1) notes.push_back("GPipe: Megatron-LM runs 1F1B instead");
  if (p.schedule == ScheduleKind::kZbH1) notes.push_back("zb-h1: not in Megatron-LM's pretrain_gpt.py; it runs 1F1B");
  // Batch and precision.
  arg("--micro-batch-size", S(t.micro_batch));
  arg("--global-batch-size", S(t.global_batch));
  if (t.precision == Precision::kBf16Mixed) arg("--bf16");
  if (t.precision == Precision::kFp16Mixed) arg("--fp16");
  if (t.precision == Precision::kAmp) notes.push_back("amp (fp32 weights, autocast) has no Megatron-LM flag");
  if (p.attention == AttentionKernel::kFlash) arg("--use-flash-attn");

  std::string out = "# Megatron-LM pretrain_gpt.py arguments (" + S(p.gpus()) + " GPUs: torchrun world size; dp " +
                    S(p.dp) + " is derived)\n";
  for (const auto& n : notes) out += "# note: " + n + "\n";
  for (size_t i = 0; i < args.size(); ++i) out += args[i] + (i + 1 < args.size() ? " \\\n" : "\n");
  return out;
}

std::string EmitTorchtitan(const Job& job) {
  const ParallelConfig& p = job.parallel;
  const TrainingConfig& t = job.training;
  std::string out = "# torchtitan job config (" + S(p.gpus()) + " GPUs)\n[parallelism]\n";
  const bool sharded = p.zero >= 2;  // FSDP shards gradients and weights: ZeRO-3 (ZeRO-2 with reshard_after_forward off)
  out += "data_parallel_replicate_degree = " + S(sharded ? 1 : p.dp) + "\n";
  out += "data_parallel_shard_degree = " + S(sharded ? p.dp : 1) + "\n";
  out += "tensor_parallel_degree = " + S(p.tp) + "\n";
  out += "pipeline_parallel_degree = " + S(p.pp) + "\n";
  out += "context_parallel_degree = " + S(p.cp) + "\n";
  out += "expert_parallel_degree = " + S(p.ep) + "\n";  // borrowed from the data-parallel ranks
  if (p.zero == 2) out += "fsdp_reshard_after_forward = \"never\"  # ZeRO-2: keep gathered weights until backward\n";
  if (p.zero == 1) out += "# ZeRO-1: torchtitan has no optimizer-only sharding; plain replicate shown\n";
  if (p.pp > 1) {
    const char* schedule = p.schedule == ScheduleKind::kGPipe        ? "GPipe"
                           : p.schedule == ScheduleKind::k1F1B       ? "1F1B"
                           : p.schedule == ScheduleKind::kInterleaved ? "Interleaved1F1B"
                                                                      : "InterleavedZeroBubble";
    out += std::string("pipeline_parallel_schedule = \"") + schedule + "\"\n";
    out += "pipeline_parallel_microbatch_size = " + S(t.micro_batch) + "\n";
    if (!EvenSplit(job) || p.vpp > 1) {
      // One model part per virtual stage, in pipeline order, first part with the
      // embedding and last with the final norm and output projection.
      const auto layers = job.StageLayers();
      out += "module_fqns_per_model_part = [\n";
      int next = 0;
      for (int chunk = 0; chunk < p.vpp; ++chunk) {
        for (int s = 0; s < p.pp; ++s) {
          const int n = layers[s] / p.vpp;  // model part (chunk, s) runs on pipeline rank s
          out += "  [";
          if (chunk == 0 && s == 0) out += std::string("\"tok_embeddings\"") + (n ? ", " : "");
          for (int l = 0; l < n; ++l) out += "\"layers." + S(next + l) + "\"" + (l + 1 < n ? ", " : "");
          next += n;
          if (chunk == p.vpp - 1 && s == p.pp - 1) out += std::string(n ? ", " : "") + "\"norm\", \"output\"";
          out += "],\n";
        }
      }
      out += "]\n";
    }
  }
  out += "\n[activation_checkpoint]\nmode = \"" +
         std::string(p.recompute == Recompute::kNone ? "none" : p.recompute == Recompute::kSelective ? "selective" : "full") +
         "\"\n";
  if (p.recompute == Recompute::kFull && p.recompute_layers > 0) {
    out += "# parallax recomputes only the first " + S(p.recompute_layers) +
           " layers of each model chunk; torchtitan's layer-level choice is mode = \"selective\" with selective_ac_option = "
           "\"k\" (every k-th layer)\n";
  }
  out += "\n[training]\nlocal_batch_size = " + S(t.global_batch / p.dp) + "\nglobal_batch_size = " + S(t.global_batch) +
         "\nseq_len = " + S(t.seq) + "\n";
  return out;
}

std::string EmitDeepspeed(const Job& job) {
  const ParallelConfig& p = job.parallel;
  const TrainingConfig& t = job.training;
  nlohmann::ordered_json j;
  j["train_batch_size"] = t.global_batch;
  j["train_micro_batch_size_per_gpu"] = t.micro_batch;
  j["gradient_accumulation_steps"] = job.micro_batches();
  if (t.precision == Precision::kBf16Mixed) j["bf16"] = {{"enabled", true}};
  if (t.precision == Precision::kFp16Mixed) j["fp16"] = {{"enabled", true}};
  j["zero_optimization"] = {{"stage", p.zero}, {"overlap_comm", true}, {"contiguous_gradients", true}};
  return j.dump(2) + "\n";
}

std::string Emit(EmitFormat format, const Job& job) {
  switch (format) {
    case EmitFormat::kMegatron: return EmitMegatron(job);
    case EmitFormat::kTorchtitan: return EmitTorchtitan(job);
    case EmitFormat::kDeepspeed: return EmitDeepspeed(job);
  }
  return "";
}

}  // namespace parallax
