// Search: enumerate, memory bound, lower-bound order, branch and bound.
#include "planner/search.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <thread>

#include "core/errors.h"

namespace parallax {
namespace {

std::string GiBText(double bytes) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << bytes / (1024.0 * 1024 * 1024) << " GiB";
  return s.str();
}

bool Before(const RankedPlan& a, const RankedPlan& b) {
  return a.key != b.key ? a.key < b.key : a.index < b.index;
}

int ThreadCount(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Every configuration was rejected by the rules: name the rule that stopped
// the configurations that came closest (the innermost one).
[[noreturn]] void FailNoValid(const Space& space) {
  const std::string rule = space.innermost_rejection.empty() ? "--gpus: no configuration" : space.innermost_rejection;
  throw SpecError(rule + " for every split that got that far (none of the " + std::to_string(space.size) +
                  " configurations of the space is valid)");
}

// Smallest peak memory over a space's candidates whose lower bound is within
// `limit` (-1 if none): enough to tell whether anything fits.
int64_t MinPeakBytes(const Job& base, const Space& space, const Evaluator& ev, int threads, int64_t limit) {
  const int n_threads = ThreadCount(threads);
  std::vector<Job> scratch(n_threads, base);
  std::vector<int64_t> best(n_threads, std::numeric_limits<int64_t>::max());
  ParallelFor(space.candidates.size(), n_threads, [&](int64_t i, int th) {
    ApplyCandidate(space, space.candidates[i], &scratch[th]);
    if (ev.peak_memory_lower_bound_bytes && ev.peak_memory_lower_bound_bytes(scratch[th]) > limit) return;
    best[th] = std::min(best[th], ev.peak_memory_bytes(scratch[th]));
  });
  const int64_t m = *std::min_element(best.begin(), best.end());
  return m == std::numeric_limits<int64_t>::max() ? -1 : m;
}

NoFit ExplainNoFit(const Job& base, const SearchOptions& o, const Evaluator& ev, const Space& space,
                   std::vector<int64_t> peak, const std::vector<char>& modeled, int64_t limit) {
  // Entries rejected by the lower bound hold the bound; model those that might be the closest.
  int64_t best_modeled = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < peak.size(); ++i)
    if (modeled[i]) best_modeled = std::min(best_modeled, peak[i]);
  std::vector<Job> scratch(ThreadCount(o.threads), base);
  ParallelFor(peak.size(), o.threads, [&](int64_t i, int th) {
    if (modeled[i] || peak[i] >= best_modeled) return;
    ApplyCandidate(space, space.candidates[i], &scratch[th]);
    peak[i] = ev.peak_memory_bytes(scratch[th]);
  });
  const int64_t closest = std::min_element(peak.begin(), peak.end()) - peak.begin();
  NoFit nf;
  nf.closest = base;
  ApplyCandidate(space, space.candidates[closest], &nf.closest);
  nf.peak_bytes = peak[closest];
  nf.limit_bytes = limit;
  auto verdict = [&](int64_t bytes) { return GiBText(bytes) + (bytes <= limit ? ", fits" : ", still too much"); };
  Job variant = nf.closest;
  if (variant.parallel.recompute != Recompute::kFull || variant.parallel.recompute_layers > 0) {
    variant.parallel.recompute = Recompute::kFull;
    variant.parallel.recompute_layers = 0;  // every layer
    nf.advice.push_back("recompute full: " + verdict(ev.peak_memory_bytes(variant)));
  }
  if (variant.training.micro_batch > 1) {
    variant.training.micro_batch = 1;
    nf.advice.push_back("micro-batch 1: " + verdict(ev.peak_memory_bytes(variant)));
  }
  const int g = nf.closest.parallel.gpus();
  for (int more = 2 * g; more <= base.cluster.max_gpus(); more *= 2) {
    SpaceOptions so = o.space;
    so.gpus = {more};
    const Space bigger = EnumerateSpace(base, so);
    const int64_t m = MinPeakBytes(base, bigger, ev, o.threads, limit);
    if (m >= 0 && m <= limit) {
      nf.advice.push_back("more GPUs: the best split of " + std::to_string(more) + " GPUs needs " + GiBText(m) +
                          ", fits");
      return nf;
    }
  }
  nf.advice.push_back("more GPUs: no GPU count up to the cluster's " + std::to_string(base.cluster.max_gpus()) +
                      " fits at this batch and sequence");
  return nf;
}

}  // namespace

void ParallelFor(int64_t n, int threads, const std::function<void(int64_t, int)>& fn) {
  const int t = static_cast<int>(std::min<int64_t>(ThreadCount(threads), std::max<int64_t>(n, 1)));
  std::atomic<int64_t> next{0};
  // Chunks of up to 256 items, but at least ~8 per thread, so that a short
  // loop (a batch of simulations) is still shared.
  const int64_t chunk = std::clamp<int64_t>(n / (8 * t), 1, 256);
  auto work = [&](int th) {
    for (;;) {
      const int64_t start = next.fetch_add(chunk);
      if (start >= n) return;
      for (int64_t i = start; i < std::min(n, start + chunk); ++i) fn(i, th);
    }
  };
  std::vector<std::thread> pool;
  for (int th = 1; th < t; ++th) pool.emplace_back(work, th);
  work(0);
  for (auto& th : pool) th.join();
}

SearchResult Search(const Job& base, const SearchOptions& o, const Evaluator& ev) {
  const auto start = std::chrono::steady_clock::now();
  if (o.top_k < 1) throw SpecError("--top: must be a positive integer, got " + std::to_string(o.top_k));
  if (!(o.max_memory_frac > 0 && o.max_memory_frac <= 1)) {
    throw SpecError("--max-memory-frac: must be in (0, 1], got " + std::to_string(o.max_memory_frac));
  }
  if (o.objective == Objective::kFewestGpus && !(o.time_budget_s > 0)) {
    throw SpecError("--time-budget: the fewest-gpus objective needs a step-time budget in seconds");
  }
  const Space space = EnumerateSpace(base, o.space);
  if (space.candidates.empty()) FailNoValid(space);

  SearchResult r;
  r.space_size = space.size;
  r.rejected = space.rejected;
  r.duplicates = space.duplicates;
  r.valid = space.candidates.size();
  const int n_threads = ThreadCount(o.threads);
  const int64_t n = space.candidates.size();
  const int64_t limit = static_cast<int64_t>(std::floor(o.max_memory_frac * base.cluster.gpu.memory_bytes));

  // 1. Analytic memory, and the step-time lower bound of what fits.
  std::vector<int64_t> peak(n);
  std::vector<double> bound(n, std::numeric_limits<double>::infinity());
  std::vector<char> modeled(n, 1);  // 0: rejected by the memory lower bound alone
  std::vector<Job> scratch(n_threads, base);
  ParallelFor(n, n_threads, [&](int64_t i, int th) {
    Job& job = scratch[th];
    ApplyCandidate(space, space.candidates[i], &job);
    if (ev.peak_memory_lower_bound_bytes) {
      peak[i] = ev.peak_memory_lower_bound_bytes(job);
      if (peak[i] > limit) {
        modeled[i] = 0;
        return;
      }
    }
    peak[i] = ev.peak_memory_bytes(job);
    if (peak[i] <= limit) bound[i] = ev.step_time_lower_bound_s(job);
    if (th == 0 && o.progress && i % 4096 == 0) o.progress(0.5 * i / n);
  });
  r.evaluated = n;
  r.memory_modeled = std::count(modeled.begin(), modeled.end(), 1);
  if (o.progress) o.progress(0.5);
  std::vector<int64_t> order;
  int64_t over_memory = 0, over_budget = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (peak[i] > limit) {
      ++over_memory;
    } else if (o.objective == Objective::kFewestGpus && bound[i] > o.time_budget_s) {
      ++over_budget;
    } else {
      order.push_back(i);
    }
  }
  const std::string memory_reason = "memory: peak above " + std::to_string(static_cast<int>(std::lround(
                                        o.max_memory_frac * 100))) + "% of GPU memory (" + GiBText(limit) + ")";
  const std::string budget_reason = "time budget: step time above " + std::to_string(o.time_budget_s) + " s";
  if (over_memory) r.rejected[memory_reason] = over_memory;
  if (order.empty()) {
    if (over_budget) r.rejected[budget_reason] = over_budget;
    if (over_memory == n) r.no_fit = ExplainNoFit(base, o, ev, space, peak, modeled, limit);
    r.search_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

  // 2. Keys from the bounds; simulate in bound order until the bound cannot beat the K-th plan.
  std::vector<ObjectiveKey> bound_key(n);
  for (int64_t i : order) {
    ApplyCandidate(space, space.candidates[i], &scratch[0]);
    bound_key[i] = KeyOf(o.objective, scratch[0], bound[i]);
  }
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return bound_key[a] != bound_key[b] ? bound_key[a] < bound_key[b] : a < b;
  });
  std::vector<RankedPlan> top;
  size_t pos = 0;
  const size_t batch = 2 * n_threads;
  while (pos < order.size()) {
    if (o.branch_and_bound && static_cast<int>(top.size()) == o.top_k && bound_key[order[pos]] > top.back().key) break;
    const size_t end = std::min(order.size(), pos + batch);
    std::vector<RankedPlan> done(end - pos);
    ParallelFor(end - pos, n_threads, [&](int64_t k, int) {
      RankedPlan& p = done[k];
      p.index = order[pos + k];
      p.job = base;
      ApplyCandidate(space, space.candidates[p.index], &p.job);
      p.score = ev.simulate(p.job);
      p.lower_bound_s = bound[p.index];
      p.key = KeyOf(o.objective, p.job, p.score.step_time_s);
    });
    r.simulated += done.size();
    for (auto& p : done) {
      if (p.score.step_time_s < p.lower_bound_s * (1 - 1e-9)) ++r.bound_violations;
      if (o.objective == Objective::kFewestGpus && p.score.step_time_s > o.time_budget_s) {
        ++over_budget;
        continue;
      }
      top.push_back(std::move(p));
    }
    std::sort(top.begin(), top.end(), Before);
    if (static_cast<int>(top.size()) > o.top_k) top.resize(o.top_k);
    pos = end;
    if (o.progress) o.progress(0.5 + 0.5 * pos / order.size());
  }
  r.pruned_by_bound = order.size() - pos;
  if (over_budget) r.rejected[budget_reason] = over_budget;
  r.plans = std::move(top);
  r.search_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace parallax
