// `parallax simulate`.
#include "cli/simulate_command.h"

#include <iostream>

#include "cli/atomic_file.h"
#include "cli/job_flags.h"
#include "cli/memory_command.h"
#include "cli/simulate_html.h"
#include "cli/table.h"
#include "core/errors.h"
#include "core/job_io.h"
#include "simulator/memory_model.h"
#include "simulator/trace.h"

namespace parallax {

nlohmann::json SimulateJson(const Job& job, const SimResult& r) {
  nlohmann::json breakdown = nlohmann::json::object();
  for (const auto& [name, seconds] : r.breakdown.ByName()) breakdown[name] = seconds;
  return {{"step_time_s", r.step_time_s},
          {"tokens_per_s", r.tokens_per_s},
          {"mfu", r.mfu},
          {"hfu", r.hfu},
          {"bubble_fraction", r.bubble_fraction},
          {"critical_stage", r.critical_stage},
          {"breakdown", breakdown},
          {"note", r.note},
          {"memory", MemoryJson(job, EstimateMemory(job))}};
}

namespace {

std::string SimulateText(const Job& job, const SimResult& r) {
  const MemoryReport mem = EstimateMemory(job);
  std::string out;
  out += "step time     " + Fixed(r.step_time_s * 1e3, 2) + " ms\n";
  out += "tokens/s      " + Fixed(r.tokens_per_s, 0) + " (" + Fixed(r.tokens_per_s / job.parallel.gpus(), 0) + " per GPU)\n";
  out += "MFU           " + Percent(r.mfu) + " (model FLOPs, Narayanan et al. 2021; HFU with recompute " + Percent(r.hfu) + ")\n";
  out += "bubble        " + Percent(r.bubble_fraction) + " of the step on stage " + std::to_string(r.critical_stage) + "\n";
  out += "peak memory   " + GiB(mem.peak_bytes) + " GiB of " + GiB(mem.capacity_bytes) + " GiB" +
         (mem.peak_bytes <= mem.capacity_bytes ? "" : "  DOES NOT FIT") + "\n";
  out += r.note + "\n\nbreakdown of stage " + std::to_string(r.critical_stage) + "'s step:\n";
  Table t({"  kind", "ms", "share"});
  for (const auto& [name, seconds] : r.breakdown.ByName()) {
    if (seconds > 0) t.Add({"  " + name, Fixed(seconds * 1e3, 2), Percent(seconds / r.step_time_s)});
  }
  out += t.Render() + "\nper-stage peak memory (GiB):";
  for (const auto& row : mem.ranks) out += " " + GiB(row.peak_bytes);
  return out + "\n";
}

}  // namespace

void AddSimulateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "step time, tokens/s, MFU, bubble, exposed communication, memory");
  struct Options {
    JobFlags flags;
    bool json = false;
    std::string trace, html;
    int print_program = -1;
  };
  auto opts = std::make_shared<Options>();
  AddJobFlags(cmd, opts->flags);
  cmd->add_flag("--json", opts->json, "print JSON");
  cmd->add_option("--trace", opts->trace, "write a Chrome trace (open in Perfetto)");
  cmd->add_option("--html", opts->html, "write an HTML report: pipeline timeline + memory bars");
  cmd->add_option("--print-program", opts->print_program, "print the program of this pipeline stage and exit");
  cmd->callback([opts] {
    std::vector<std::string> warnings;
    const Job job = BuildJob(opts->flags, &warnings);
    const SimResult result = Simulate(job);
    if (opts->print_program >= 0) {
      if (opts->print_program >= job.parallel.pp) {
        throw SpecError("--print-program: stage " + std::to_string(opts->print_program) + " does not exist (pp = " +
                        std::to_string(job.parallel.pp) + ")");
      }
      std::cout << ProgramsToText({result.ProgramOf(opts->print_program)});
      return;
    }
    if (!opts->trace.empty()) WriteFileAtomically(opts->trace, TraceJson(result).dump());
    if (!opts->html.empty()) WriteFileAtomically(opts->html, SimulateHtml(job, result));
    if (opts->json) {
      nlohmann::json j = SimulateJson(job, result);
      j["job"] = JobToJson(job);
      j["warnings"] = warnings;
      std::cout << j.dump(2) << "\n";
      return;
    }
    for (const auto& w : warnings) std::cerr << "parallax: warning: " << w << "\n";
    std::cout << JobSummary(job) << "\n\n" << SimulateText(job, result);
    if (!opts->trace.empty()) std::cout << "wrote " << opts->trace << "\n";
    if (!opts->html.empty()) std::cout << "wrote " << opts->html << "\n";
  });
}

}  // namespace parallax
