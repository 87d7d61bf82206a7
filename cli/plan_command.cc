// `parallax plan`.
#include "cli/plan_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/atomic_file.h"
#include "cli/job_flags.h"
#include "cli/memory_command.h"
#include "cli/table.h"
#include "core/errors.h"
#include "core/job_io.h"
#include "planner/emit.h"
#include "planner/explain.h"
#include "planner/simulator_evaluator.h"
#include "simulator/memory_model.h"

namespace parallax {
namespace {

std::string Count(int64_t n) {  // 1234567 -> "1,234,567"
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

// Like job_flags' ParseFlagEnum (explicitly instantiated there for core's enums only).
template <typename T>
T ParseChoice(const std::string& flag, const std::string& value, const std::vector<std::pair<std::string, T>>& table) {
  std::vector<std::string> names;
  for (const auto& [name, v] : table) {
    if (name == value) return v;
    names.push_back(name);
  }
  std::string allowed;
  for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
  throw SpecError(flag + ": unknown value \"" + value + "\"" + DidYouMean(value, names) + "; allowed: " + allowed);
}

std::string GpusText(const SearchOptions& o) {
  const auto& g = o.space.gpus;
  return g.size() == 1 ? std::to_string(g[0]) : std::to_string(g.front()) + "-" + std::to_string(g.back());
}

}  // namespace

std::vector<int> ParseGpuRange(const std::string& text) {
  auto number = [&](const std::string& s) {
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (s.empty() || used != s.size() || v < 1 || v > (1 << 30)) {
      throw SpecError("--gpus: \"" + text + "\" must be a positive count N or a range A-B");
    }
    return static_cast<int>(v);
  };
  if (text.empty()) throw SpecError("--gpus: required (a count N or a range A-B)");
  const size_t dash = text.find('-');
  if (dash == std::string::npos) return {number(text)};
  const int a = number(text.substr(0, dash)), b = number(text.substr(dash + 1));
  if (a > b) throw SpecError("--gpus: range " + text + " is empty (A must not exceed B)");
  std::vector<int> out;
  for (int g = a; g <= b; ++g) out.push_back(g);
  return out;
}

nlohmann::json PlanJson(const Job& base, const SearchOptions& o, const SearchResult& r) {
  nlohmann::json plans = nlohmann::json::array();
  const int64_t capacity = base.cluster.gpu.memory_bytes;
  for (size_t k = 0; k < r.plans.size(); ++k) {
    const RankedPlan& p = r.plans[k];
    plans.push_back({{"rank", k + 1},
                     {"label", ConfigLabel(p.job)},
                     {"gpus", p.job.parallel.gpus()},
                     {"training", TrainingToJson(p.job.training)},
                     {"parallel", ParallelToJson(p.job.parallel)},
                     {"stage_layers", p.job.StageLayers()},
                     {"step_time_s", p.score.step_time_s},
                     {"tokens_per_s", p.score.tokens_per_s},
                     {"mfu", p.score.mfu},
                     {"bubble_fraction", p.score.bubble_fraction},
                     {"exposed_comm_s", p.score.exposed_comm_s},
                     {"breakdown", p.score.breakdown},
                     {"lower_bound_s", p.lower_bound_s},
                     {"peak_bytes", p.score.peak_bytes},
                     {"headroom_bytes", capacity - p.score.peak_bytes},
                     {"memory", MemoryJson(p.job, EstimateMemory(p.job))}});
  }
  nlohmann::json j = {{"objective", NameOf(ObjectiveNames(), o.objective)},
                      {"gpus", o.space.gpus.size() == 1 ? nlohmann::json(o.space.gpus[0]) : nlohmann::json(GpusText(o))},
                      {"max_memory_frac", o.max_memory_frac},
                      {"plans", plans},
                      {"space_size", r.space_size},
                      {"valid", r.valid},
                      {"evaluated", r.evaluated},
                      {"memory_modeled", r.memory_modeled},
                      {"simulated", r.simulated},
                      {"pruned_by_bound", r.pruned_by_bound},
                      {"bound_violations", r.bound_violations},
                      {"rejected", r.rejected},
                      {"duplicates", r.duplicates},
                      {"explanation", ExplainRanking(r.plans)},
                      {"search_time_s", r.search_time_s}};
  if (o.objective == Objective::kFewestGpus) j["time_budget_s"] = o.time_budget_s;
  if (r.no_fit) {
    j["no_fit"] = {{"closest", JobToJson(r.no_fit->closest)},
                   {"label", ConfigLabel(r.no_fit->closest)},
                   {"peak_bytes", r.no_fit->peak_bytes},
                   {"limit_bytes", r.no_fit->limit_bytes},
                   {"over_bytes", r.no_fit->peak_bytes - r.no_fit->limit_bytes},
                   {"advice", r.no_fit->advice}};
  }
  return j;
}

std::string PlanText(const Job& base, const SearchOptions& o, const SearchResult& r) {
  const int64_t capacity = base.cluster.gpu.memory_bytes;
  std::string out = base.model.name + " on " + base.cluster.name + ", " + GpusText(o) + " GPUs, gbs " +
                    std::to_string(base.training.global_batch) + " x seq " + std::to_string(base.training.seq) + ", " +
                    NameOf(PrecisionNames(), base.training.precision) + "; objective " +
                    NameOf(ObjectiveNames(), o.objective) +
                    (o.objective == Objective::kFewestGpus ? " (step time <= " + Fixed(o.time_budget_s, 3) + " s)" : "") +
                    "\n";
  out += "searched " + Count(r.space_size) + " configurations in " + Fixed(r.search_time_s, 2) + " s: " +
         Count(r.valid) + " valid, " + Count(r.evaluated) + " evaluated (" + Count(r.memory_modeled) +
         " by the full memory model), " + Count(r.simulated) + " simulated, " + Count(r.pruned_by_bound) +
         " pruned by the step-time bound\n\n";
  if (!r.plans.empty()) {
    Table t({"#", "GPUs", "configuration", "step s", "tokens/s", "MFU", "peak GiB", "headroom GiB", "bubble", "exposed comm s"});
    for (size_t k = 0; k < r.plans.size(); ++k) {
      const RankedPlan& p = r.plans[k];
      t.Add({std::to_string(k + 1), std::to_string(p.job.parallel.gpus()), ConfigLabel(p.job), Fixed(p.score.step_time_s, 3), Fixed(p.score.tokens_per_s, 0),
             Percent(p.score.mfu), GiB(p.score.peak_bytes), GiB(capacity - p.score.peak_bytes),
             Percent(p.score.bubble_fraction), Fixed(p.score.exposed_comm_s, 3)});
    }
    out += t.Render();
    const auto why = ExplainRanking(r.plans);
    if (!why.empty()) {
      out += "\nwhy #1 ranks first (" + NameOf(ObjectiveNames(), o.objective) + "):\n";
      for (const auto& line : why) out += "  " + line + "\n";
    }
  }
  if (r.no_fit) {
    const NoFit& nf = *r.no_fit;
    out += "no plan fits in " + GiB(nf.limit_bytes) + " GiB per GPU (" + Percent(o.max_memory_frac) +
           " of " + GiB(capacity) + " GiB)\nclosest plan: " + ConfigLabel(nf.closest) + " needs " +
           GiB(nf.peak_bytes) + " GiB, " + GiB(nf.peak_bytes - nf.limit_bytes) + " GiB over\nwhat would make it fit:\n";
    for (const auto& a : nf.advice) out += "  " + a + "\n";
  } else if (r.plans.empty()) {
    out += "no plan meets the step-time budget of " + Fixed(o.time_budget_s, 3) + " s\n";
  }
  out += "\nrejected:\n";
  Table rej({"  reason", "configurations"});
  for (const auto& [reason, n] : r.rejected) rej.Add({"  " + reason, Count(n)});
  for (const auto& [kind, n] : r.duplicates) rej.Add({"  duplicate: " + kind, Count(n)});
  out += rej.Render();
  return out;
}

void AddPlanCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("plan", "search tp/pp/dp/cp/ep, stages, ZeRO, micro-batch, recompute, schedule");
  struct Options {
    JobFlags flags;
    std::string gpus, objective = "fastest", out, emit;
    double time_budget_s = 0, max_memory_frac = 1.0;
    int top = 5, threads = 0;
    bool json = false, even_stages_only = false;
  };
  auto opts = std::make_shared<Options>();
  AddJobFlags(cmd, opts->flags, /*with_parallel=*/false);
  cmd->remove_option(cmd->get_option("--gpus"));
  cmd->add_option("--gpus", opts->gpus, "GPU count N, or a range A-B to search the count too");
  cmd->add_option("--attention", opts->flags.attention, "flash | unfused")->capture_default_str();
  cmd->add_option("--objective", opts->objective, "fastest | mfu | fewest-gpus")->capture_default_str();
  cmd->add_option("--time-budget", opts->time_budget_s, "step-time budget in seconds (fewest-gpus)");
  cmd->add_option("--top", opts->top, "plans to show")->capture_default_str();
  cmd->add_option("--max-memory-frac", opts->max_memory_frac, "fraction of GPU memory a plan may use")
      ->capture_default_str();
  cmd->add_option("--threads", opts->threads, "search threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--even-stages-only", opts->even_stages_only, "leave uneven layer-to-stage splits out of the space");
  cmd->add_flag("--json", opts->json, "print JSON");
  cmd->add_option("--out", opts->out, "write the best plan as plan.json (read by simulate/run --plan)");
  cmd->add_option("--emit", opts->emit, "print the best plan for megatron | torchtitan | deepspeed");
  cmd->callback([opts] {
    Options& o = *opts;
    if (o.flags.gbs <= 0 && o.flags.plan.empty()) {
      throw SpecError("--gbs: required for plan (global batch in sequences)");
    }
    const Job base = BuildJob(o.flags);  // model, cluster, training (the split is searched)
    SearchOptions so;
    // With --plan and no --gpus, search the plan's GPU count.
    so.space.gpus = ParseGpuRange(o.gpus.empty() && !o.flags.plan.empty() ? std::to_string(base.parallel.gpus()) : o.gpus);
    so.space.uneven_stages = !o.even_stages_only;
    so.objective = ParseChoice("--objective", o.objective, ObjectiveNames());
    const EmitFormat emit = o.emit.empty() ? EmitFormat::kMegatron : ParseChoice("--emit", o.emit, EmitFormatNames());
    so.time_budget_s = o.time_budget_s;
    so.top_k = o.top;
    so.max_memory_frac = o.max_memory_frac;
    so.threads = o.threads;
    const auto start = std::chrono::steady_clock::now();
    bool printed = false;
    if (isatty(STDERR_FILENO)) {
      so.progress = [start, &printed](double fraction) {
        if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) return;
        std::fprintf(stderr, "\rparallax plan: %3.0f%% searched", 100 * fraction);
        printed = true;
      };
    }
    const SearchResult r = Search(base, so, SimulatorEvaluator());
    if (printed) std::fprintf(stderr, "\r%40s\r", "");
    if (!r.plans.empty() && !o.out.empty()) WriteFileAtomically(o.out, JobToJson(r.plans[0].job).dump(2) + "\n");
    if (!r.plans.empty() && !o.emit.empty() && !o.json) {
      std::cout << Emit(emit, r.plans[0].job);
    } else if (o.json) {
      nlohmann::json j = PlanJson(base, so, r);
      if (!r.plans.empty() && !o.emit.empty()) j["emit"] = {{o.emit, Emit(emit, r.plans[0].job)}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << PlanText(base, so, r);
      if (!r.plans.empty() && !o.out.empty()) std::cout << "\nwrote " << o.out << "\n";
    }
    if (r.no_fit) {
      throw SpecError("--gpus: no plan fits: the closest (" + ConfigLabel(r.no_fit->closest) + ") needs " +
                      GiB(r.no_fit->peak_bytes) + " GiB per GPU, " +
                      GiB(r.no_fit->peak_bytes - r.no_fit->limit_bytes) + " GiB over the limit");
    }
    if (r.plans.empty()) {
      throw SpecError("--time-budget: no plan meets a step time of " + Fixed(o.time_budget_s, 3) + " s");
    }
  });
}

}  // namespace parallax
