// Shared configuration flags -> Job.
#include "cli/job_flags.h"

#include "core/cluster_io.h"
#include "core/errors.h"
#include "core/job_io.h"
#include "core/json_reader.h"
#include "core/model_io.h"
#include "core/validate.h"

namespace parallax {

void AddJobFlags(CLI::App* app, JobFlags& f, bool with_parallel) {
  app->add_option("--plan", f.plan, "plan.json written by `parallax plan --out` (replaces the flags below)");
  app->add_option("--model", f.model, "model preset (see `parallax models`), our JSON, or a Hugging Face config.json");
  app->add_option("--cluster", f.cluster, "cluster preset (see `parallax clusters`) or profile JSON")
      ->capture_default_str();
  app->add_option("--gpus", f.gpus, "number of GPUs (dp is derived when omitted)");
  if (with_parallel) {
    app->add_option("--tp", f.tp, "tensor-parallel size")->capture_default_str();
    app->add_option("--pp", f.pp, "pipeline-parallel size")->capture_default_str();
    app->add_option("--dp", f.dp, "data-parallel size (default: gpus / (tp x pp x cp))");
    app->add_option("--cp", f.cp, "context-parallel size")->capture_default_str();
    app->add_option("--ep", f.ep, "expert-parallel size (MoE)")->capture_default_str();
    app->add_option("--vpp", f.vpp, "virtual pipeline stages per GPU (interleaved)")->capture_default_str();
    app->add_option("--zero", f.zero, "ZeRO stage 0-3 (1 = Megatron distributed optimizer)")->capture_default_str();
    app->add_flag("--sp", f.sp, "sequence parallel");
    app->add_option("--mbs", f.mbs, "micro-batch size (sequences)")->capture_default_str();
    app->add_option("--recompute", f.recompute, "none | selective | full")->capture_default_str();
    app->add_option("--recompute-layers", f.recompute_layers,
                    "with --recompute full: layers of each chunk recomputed, the rest keep activations (0: all)")
        ->capture_default_str();
    app->add_option("--schedule", f.schedule, "gpipe | 1f1b | interleaved | zb-h1 (default 1f1b, interleaved if --vpp > 1)");
    app->add_option("--attention", f.attention, "flash | unfused")->capture_default_str();
    app->add_option("--stage-layers", f.stage_layers, "layers per pipeline stage, e.g. 7,8,8,7 (uneven split)");
  }
  app->add_option("--gbs", f.gbs, "global batch size in sequences (default: dp x mbs)");
  app->add_option("--seq", f.seq, "sequence length (default: the model's max_seq)");
  app->add_option("--precision", f.precision, "bf16-mixed | fp16-mixed | amp")->capture_default_str();
}

template <typename T>
T ParseFlagEnum(const std::string& flag, const std::string& value, const std::vector<std::pair<std::string, T>>& table) {
  std::vector<std::string> names;
  for (const auto& [name, v] : table) {
    if (name == value) return v;
    names.push_back(name);
  }
  throw SpecError(flag + ": unknown value \"" + value + "\"" + DidYouMean(value, names) +
                  "; allowed: " + JsonReader::Join(names));
}
template Precision ParseFlagEnum(const std::string&, const std::string&, const std::vector<std::pair<std::string, Precision>>&);
template Recompute ParseFlagEnum(const std::string&, const std::string&, const std::vector<std::pair<std::string, Recompute>>&);
template AttentionKernel ParseFlagEnum(const std::string&, const std::string&,
                                       const std::vector<std::pair<std::string, AttentionKernel>>&);
template ScheduleKind ParseFlagEnum(const std::string&, const std::string&,
                                    const std::vector<std::pair<std::string, ScheduleKind>>&);

std::vector<int> ParseLayerList(const std::string& text) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 0) {
      throw SpecError("--stage-layers: \"" + text + "\" must be comma-separated non-negative layer counts, e.g. 7,8,8,7");
    }
    out.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Job BuildJob(const JobFlags& f, std::vector<std::string>* warnings) {
  Job job;
  if (!f.plan.empty()) {
    job = LoadPlanFile(f.plan);
  } else {
    if (f.model.empty()) throw SpecError("--model: required (a preset name, a model JSON or a Hugging Face config.json)");
    job.model = ResolveModel(f.model);
    job.cluster = ResolveCluster(f.cluster);
    ParallelConfig& p = job.parallel;
    p.tp = f.tp, p.pp = f.pp, p.cp = f.cp, p.ep = f.ep, p.vpp = f.vpp, p.zero = f.zero, p.sp = f.sp;
    if (f.gpus < 0) throw SpecError("--gpus: must be a positive integer, got " + std::to_string(f.gpus));
    for (auto [flag, v] : {std::pair<const char*, int>{"--tp", f.tp}, {"--pp", f.pp}, {"--cp", f.cp}, {"--vpp", f.vpp}}) {
      if (v < 1) throw SpecError(std::string(flag) + ": must be a positive integer, got " + std::to_string(v));
    }
    const int split = f.tp * f.pp * f.cp;
    if (f.dp > 0) {
      p.dp = f.dp;
      if (f.gpus > 0 && f.gpus != split * f.dp) {
        throw SpecError("--gpus: tp x pp x dp x cp = " + std::to_string(split * f.dp) + " but --gpus is " +
                        std::to_string(f.gpus));
      }
    } else if (f.gpus > 0) {
      if (f.gpus % split) {
        throw SpecError("--gpus: " + std::to_string(f.gpus) + " is not divisible by tp x pp x cp = " + std::to_string(split));
      }
      p.dp = f.gpus / split;
    } else {
      p.dp = 1;
    }
    p.recompute = ParseFlagEnum("--recompute", f.recompute, RecomputeNames());
    p.recompute_layers = f.recompute_layers;
    p.attention = ParseFlagEnum("--attention", f.attention, AttentionNames());
    p.schedule = f.schedule.empty() ? (f.vpp > 1 ? ScheduleKind::kInterleaved : ScheduleKind::k1F1B)
                                    : ParseFlagEnum("--schedule", f.schedule, ScheduleNames());
    if (!f.stage_layers.empty()) p.stage_layers = ParseLayerList(f.stage_layers);
    job.training.micro_batch = f.mbs;
    job.training.global_batch = f.gbs > 0 ? f.gbs : f.mbs * p.dp;
    job.training.seq = f.seq > 0 ? f.seq : job.model.max_seq;
    job.training.precision = ParseFlagEnum("--precision", f.precision, PrecisionNames());
    if (f.gbs < 0) throw SpecError("--gbs: must be a positive integer, got " + std::to_string(f.gbs));
    if (f.seq < 0) throw SpecError("--seq: must be a positive integer, got " + std::to_string(f.seq));
  }
  const auto w = ValidateJob(job);
  if (warnings) *warnings = w;
  return job;
}

}  // namespace parallax
