// Ranking explanations.
#include "planner/explain.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace parallax {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.3f s", s);
  return buf;
}

}  // namespace

std::string StageMapLabel(const Job& job) {
  const auto layers = job.StageLayers();
  std::string out;
  for (size_t i = 0; i < layers.size();) {
    size_t j = i;
    while (j < layers.size() && layers[j] == layers[i]) ++j;
    if (!out.empty()) out += ",";
    out += S(layers[i]) + (j - i > 1 ? "x" + S(j - i) : "");
    i = j;
  }
  return out;
}

std::string ConfigLabel(const Job& job) {
  const ParallelConfig& p = job.parallel;
  std::string s = "tp " + S(p.tp) + ", pp " + S(p.pp);
  if (p.pp > 1) s += " [" + StageMapLabel(job) + "]";
  s += ", dp " + S(p.dp);
  if (p.cp > 1) s += ", cp " + S(p.cp);
  if (p.ep > 1) s += ", ep " + S(p.ep);
  if (p.vpp > 1) s += ", vpp " + S(p.vpp);
  s += ", mbs " + S(job.training.micro_batch) + ", zero " + S(p.zero);
  if (p.sp) s += ", sp";
  s += ", " + NameOf(RecomputeNames(), p.recompute) + " recompute";
  if (p.recompute == Recompute::kFull && p.recompute_layers > 0) s += " (first " + S(p.recompute_layers) + " per chunk)";
  if (p.pp > 1) s += ", " + NameOf(ScheduleNames(), p.schedule);
  return s;
}

std::vector<std::string> ConfigDifferences(const Job& a, const Job& b) {
  std::vector<std::string> d;
  const ParallelConfig &x = a.parallel, &y = b.parallel;
  auto num = [&](const char* name, int64_t u, int64_t v) {
    if (u != v) d.push_back(std::string(name) + " " + S(u) + " -> " + S(v));
  };
  num("gpus", x.gpus(), y.gpus());
  num("tp", x.tp, y.tp);
  num("pp", x.pp, y.pp);
  num("dp", x.dp, y.dp);
  num("cp", x.cp, y.cp);
  num("ep", x.ep, y.ep);
  num("vpp", x.vpp, y.vpp);
  if (x.pp == y.pp && a.StageLayers() != b.StageLayers()) {
    d.push_back("stages " + StageMapLabel(a) + " -> " + StageMapLabel(b));
  }
  num("mbs", a.training.micro_batch, b.training.micro_batch);
  num("zero", x.zero, y.zero);
  if (x.sp != y.sp) d.push_back(y.sp ? "sp on" : "sp off");
  if (x.recompute != y.recompute) {
    d.push_back("recompute " + NameOf(RecomputeNames(), x.recompute) + " -> " + NameOf(RecomputeNames(), y.recompute));
  }
  if (x.recompute == Recompute::kFull && y.recompute == Recompute::kFull) num("recompute layers", x.recompute_layers, y.recompute_layers);
  if (x.schedule != y.schedule) {
    d.push_back("schedule " + NameOf(ScheduleNames(), x.schedule) + " -> " + NameOf(ScheduleNames(), y.schedule));
  }
  return d;
}

std::vector<std::string> ExplainRanking(const std::vector<RankedPlan>& plans, int max_plans) {
  std::vector<std::string> lines;
  if (plans.size() < 2) return lines;
  const RankedPlan& best = plans[0];
  std::set<std::string> seen = {ConfigLabel(best.job)};
  for (size_t k = 1; k < plans.size() && static_cast<int>(lines.size()) < max_plans; ++k) {
    const RankedPlan& p = plans[k];
    if (!seen.insert(ConfigLabel(p.job)).second) continue;
    const double slower = p.score.step_time_s / best.score.step_time_s - 1;
    std::vector<std::pair<double, std::string>> terms;
    std::set<std::string> kinds;
    for (const auto& [kind, s] : best.score.breakdown) kinds.insert(kind);
    for (const auto& [kind, s] : p.score.breakdown) kinds.insert(kind);
    for (const auto& kind : kinds) {
      const auto a = best.score.breakdown.find(kind), b = p.score.breakdown.find(kind);
      const double diff = (b == p.score.breakdown.end() ? 0 : b->second) -
                          (a == best.score.breakdown.end() ? 0 : a->second);
      if (std::abs(diff) > 1e-6 * best.score.step_time_s) terms.push_back({diff, kind});
    }
    std::sort(terms.begin(), terms.end(), [](const auto& u, const auto& v) {
      return std::abs(u.first) != std::abs(v.first) ? std::abs(u.first) > std::abs(v.first) : u.second < v.second;
    });
    std::string line = "#" + S(k + 1) + " ";
    char pct[48];
    std::snprintf(pct, sizeof(pct), "is %.1f%% %s", 100 * std::abs(slower), slower >= 0 ? "slower" : "faster");
    line += pct;
    const auto diffs = ConfigDifferences(best.job, p.job);
    if (!diffs.empty()) {
      line += " (";
      for (size_t i = 0; i < diffs.size(); ++i) line += (i ? ", " : "") + diffs[i];
      line += ")";
    }
    if (!terms.empty()) {
      line += ": ";
      for (size_t i = 0; i < terms.size() && i < 3; ++i) line += (i ? ", " : "") + terms[i].second + " " + Seconds(terms[i].first);
    }
    lines.push_back(line);
  }
  return lines;
}

}  // namespace parallax
