// `parallax memory`.
#include "cli/memory_command.h"

#include <iostream>

#include "cli/atomic_file.h"
#include "cli/job_flags.h"
#include "cli/memory_html.h"
#include "cli/table.h"
#include "core/job_io.h"

namespace parallax {

std::string JobSummary(const Job& job) {
  const ParallelConfig& p = job.parallel;
  const TrainingConfig& t = job.training;
  std::string s = job.model.name + " on " + job.cluster.name + ": " + std::to_string(p.gpus()) + " GPUs = tp " +
                  std::to_string(p.tp) + " x pp " + std::to_string(p.pp) + " x dp " + std::to_string(p.dp) +
                  " x cp " + std::to_string(p.cp);
  if (p.ep > 1) s += ", ep " + std::to_string(p.ep);
  if (p.vpp > 1) s += ", vpp " + std::to_string(p.vpp);
  s += "; mbs " + std::to_string(t.micro_batch) + ", gbs " + std::to_string(t.global_batch) + ", seq " +
       std::to_string(t.seq) + "; " + NameOf(PrecisionNames(), t.precision) + ", zero " + std::to_string(p.zero) +
       (p.sp ? ", sp" : "") + ", recompute " + NameOf(RecomputeNames(), p.recompute) +
       (p.recompute_layers > 0 ? " (first " + std::to_string(p.recompute_layers) + " layers per chunk)" : "") + ", " +
       NameOf(AttentionNames(), p.attention) + " attention";
  if (p.pp > 1) s += ", " + NameOf(ScheduleNames(), p.schedule);
  return s;
}

nlohmann::json MemoryJson(const Job& job, const MemoryReport& report) {
  nlohmann::json ranks = nlohmann::json::array();
  const int per_stage = job.parallel.tp * job.parallel.cp * job.parallel.dp;
  for (const auto& r : report.ranks) {
    nlohmann::json terms = nlohmann::json::array();
    for (const auto& t : r.terms) terms.push_back({{"category", t.category}, {"name", t.name}, {"bytes", t.bytes}});
    ranks.push_back({{"rank", r.stage * per_stage},
                     {"stage", r.stage},
                     {"layers", r.layers},
                     {"inflight_micro_batches", r.inflight_micro_batches},
                     {"weights_bytes", r.weights_bytes},
                     {"gradients_bytes", r.gradients_bytes},
                     {"optimizer_bytes", r.optimizer_bytes},
                     {"activations_bytes", r.activations_bytes},
                     {"other_bytes", r.other_bytes},
                     {"peak_bytes", r.peak_bytes},
                     {"allocated_peak_bytes", r.allocated_peak_bytes},
                     {"peak_phase", r.peak_phase},
                     {"terms", terms}});
  }
  return {{"ranks", ranks},
          {"peak_bytes", report.peak_bytes},
          {"capacity_bytes", report.capacity_bytes},
          {"fits", report.peak_bytes <= report.capacity_bytes}};
}

std::string MemoryText(const Job& job, const MemoryReport& report) {
  Table table({"stage", "layers", "in-flight", "weights", "grads", "optimizer", "activations", "other", "peak GiB",
               "of GPU"});
  for (const auto& r : report.ranks) {
    table.Add({std::to_string(r.stage), std::to_string(r.layers), Fixed(r.inflight_micro_batches, 2),
               GiB(r.weights_bytes), GiB(r.gradients_bytes), GiB(r.optimizer_bytes), GiB(r.activations_bytes),
               GiB(r.other_bytes), GiB(r.peak_bytes),
               Percent(static_cast<double>(r.peak_bytes) / report.capacity_bytes)});
  }
  const StageMemory* worst = &report.ranks[0];
  for (const auto& r : report.ranks)
    if (r.peak_bytes > worst->peak_bytes) worst = &r;
  std::string out = table.Render();
  out += "\npeak " + GiB(report.peak_bytes) + " GiB on stage " + std::to_string(worst->stage) + " at " +
         worst->peak_phase + " (GPU has " + GiB(report.capacity_bytes) + " GiB): " +
         (report.peak_bytes <= report.capacity_bytes ? "fits" : "DOES NOT FIT") + "\n";
  out += "terms of stage " + std::to_string(worst->stage) + " (GiB):\n";
  Table terms({"  term", "GiB", "kind"});
  for (const auto& t : worst->terms) terms.Add({"  " + t.name, GiB(t.bytes), t.category});
  out += terms.Render();
  if (worst->peak_phase == "backward start" && job.training.precision == Precision::kAmp) {
    out += "  (gradients are freed between steps under amp: not resident at backward start)\n";
  }
  return out;
}

void AddMemoryCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("memory", "per-rank memory breakdown of one configuration");
  struct Options {
    JobFlags flags;
    bool json = false;
    std::string html;
  };
  auto opts = std::make_shared<Options>();
  AddJobFlags(cmd, opts->flags);
  cmd->add_flag("--json", opts->json, "print JSON");
  cmd->add_option("--html", opts->html, "write a self-contained HTML report with an SVG bar per stage");
  cmd->callback([opts] {
    std::vector<std::string> warnings;
    const Job job = BuildJob(opts->flags, &warnings);
    const MemoryReport report = EstimateMemory(job);
    if (!opts->html.empty()) WriteFileAtomically(opts->html, MemoryHtml(job, report));
    if (opts->json) {
      std::cout << nlohmann::json({{"job", JobToJson(job)}, {"warnings", warnings}, {"memory", MemoryJson(job, report)}})
                       .dump(2)
                << "\n";
      return;
    }
    for (const auto& w : warnings) std::cerr << "parallax: warning: " << w << "\n";
    std::cout << JobSummary(job) << "\n\n" << MemoryText(job, report);
    if (!opts->html.empty()) std::cout << "wrote " << opts->html << "\n";
  });
}

}  // namespace parallax
