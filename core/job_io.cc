// plan.json reading and writing (strict: unknown keys are errors).
#include "core/job_io.h"

#include "core/cluster_io.h"
#include "core/json_reader.h"
#include "core/model_io.h"
#include "core/validate.h"

namespace parallax {

nlohmann::json TrainingToJson(const TrainingConfig& t) {
  nlohmann::json j = {{"global_batch", t.global_batch},
                      {"seq", t.seq},
                      {"micro_batch", t.micro_batch},
                      {"precision", NameOf(PrecisionNames(), t.precision)}};
  if (t.activation_layout != ActivationLayout::kMegatron)
    j["activation_layout"] = NameOf(ActivationLayoutNames(), t.activation_layout);
  return j;
}

nlohmann::json ParallelToJson(const ParallelConfig& p) {
  nlohmann::json j = {{"tp", p.tp},
                      {"pp", p.pp},
                      {"dp", p.dp},
                      {"cp", p.cp},
                      {"ep", p.ep},
                      {"vpp", p.vpp},
                      {"zero", p.zero},
                      {"sp", p.sp},
                      {"recompute", NameOf(RecomputeNames(), p.recompute)},
                      {"attention", NameOf(AttentionNames(), p.attention)},
                      {"schedule", NameOf(ScheduleNames(), p.schedule)}};
  if (!p.stage_layers.empty()) j["stage_layers"] = p.stage_layers;
  if (p.recompute_layers > 0) j["recompute_layers"] = p.recompute_layers;
  if (!p.overlap_grad_reduce) j["overlap_grad_reduce"] = false;
  if (!p.overlap_p2p) j["overlap_p2p"] = false;
  return j;
}

TrainingConfig TrainingFromJson(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where + ": training");
  TrainingConfig t;
  t.global_batch = r.PositiveInt("global_batch");
  t.seq = r.PositiveInt("seq");
  t.micro_batch = r.PositiveInt("micro_batch", 1);
  t.precision = r.Enum("precision", PrecisionNames(), Precision::kBf16Mixed);
  t.activation_layout = r.Enum("activation_layout", ActivationLayoutNames(), ActivationLayout::kMegatron);
  r.RejectUnknownKeys();
  return t;
}

ParallelConfig ParallelFromJson(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where + ": parallel");
  ParallelConfig p;
  p.tp = static_cast<int>(r.PositiveInt("tp", 1));
  p.pp = static_cast<int>(r.PositiveInt("pp", 1));
  p.dp = static_cast<int>(r.PositiveInt("dp", 1));
  p.cp = static_cast<int>(r.PositiveInt("cp", 1));
  p.ep = static_cast<int>(r.PositiveInt("ep", 1));
  p.vpp = static_cast<int>(r.PositiveInt("vpp", 1));
  p.zero = static_cast<int>(r.NonNegativeInt("zero", 0));
  if (p.zero > 3) r.Fail("zero", "must be 0, 1, 2 or 3");
  p.sp = r.Bool("sp", false);
  p.recompute = r.Enum("recompute", RecomputeNames(), Recompute::kNone);
  p.recompute_layers = static_cast<int>(r.NonNegativeInt("recompute_layers", 0));
  p.attention = r.Enum("attention", AttentionNames(), AttentionKernel::kFlash);
  p.schedule = r.Enum("schedule", ScheduleNames(), ScheduleKind::k1F1B);
  p.overlap_grad_reduce = r.Bool("overlap_grad_reduce", true);
  p.overlap_p2p = r.Bool("overlap_p2p", true);
  for (int64_t v : r.IntList("stage_layers")) p.stage_layers.push_back(static_cast<int>(v));
  r.RejectUnknownKeys();
  return p;
}

nlohmann::json JobToJson(const Job& job) {
  return {{"format_version", kPlanFormatVersion},
          {"model", ModelToJson(job.model)},
          {"cluster", ClusterToJson(job.cluster)},
          {"training", TrainingToJson(job.training)},
          {"parallel", ParallelToJson(job.parallel)}};
}

Job JobFromJson(const nlohmann::json& j, const std::string& where) {
  JsonReader r(j, where);
  const int64_t version = r.PositiveInt("format_version");
  if (version != kPlanFormatVersion) {
    r.Fail("format_version", "unsupported version " + std::to_string(version) + " (this parallax reads " +
                                 std::to_string(kPlanFormatVersion) + ")");
  }
  Job job;
  job.model = ModelFromJson(r.Object("model"), where);
  job.cluster = ClusterFromJson(r.Object("cluster"), where);
  job.training = TrainingFromJson(r.Object("training"), where);
  job.parallel = ParallelFromJson(r.Object("parallel"), where);
  r.RejectUnknownKeys();
  return job;
}

Job LoadPlanFile(const std::string& path) {
  Job job = JobFromJson(ParseJsonFile(path), path);
  ValidateJob(job);
  return job;
}

}  // namespace parallax
