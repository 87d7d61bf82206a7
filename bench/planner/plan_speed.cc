// Planner speed: the full search for llama3-405b on 16,384 H100s (dgx-h100,
// global batch 2048 x 8192 tokens). Prints the space size, how many
// configurations got the analytic model and how many were simulated, wall
// time, and configurations evaluated per second per core (Calculon, the
// best-known analytical planner, evaluates about 49 per second per core).
// Usage: plan_speed [threads [top_k [even|exhaustive]]]; "even" leaves uneven stage maps
// out; "exhaustive" simulates every fitting configuration (to check that branch
// and bound returns the same top K; every plan is printed).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "planner/explain.h"
#include "planner/search.h"
#include "planner/simulator_evaluator.h"

int main(int argc, char** argv) {
  using namespace parallax;
  Job base;
  base.model = ResolveModel("llama3-405b");
  base.cluster = ResolveCluster("dgx-h100");
  base.training.global_batch = 2048;
  base.training.seq = 8192;
  SearchOptions o;
  o.space.gpus = {16384};
  o.threads = argc > 1 ? std::atoi(argv[1]) : 0;
  if (argc > 2) o.top_k = std::atoi(argv[2]);
  if (argc > 3 && std::string(argv[3]) == "even") o.space.uneven_stages = false;  // what a planner without uneven stages finds
  if (argc > 3 && std::string(argv[3]) == "exhaustive") o.branch_and_bound = false;
  const int cores = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const Evaluator ev = SimulatorEvaluator();
  const auto t0 = std::chrono::steady_clock::now();
  const SearchResult r = Search(base, o, ev);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("evaluator: %s\n", SimulatorEvaluatorName());
  std::printf("space %lld, valid %lld, evaluated (memory + bound) %lld, full memory model %lld, simulated %lld, "
              "pruned by bound %lld\n",
              static_cast<long long>(r.space_size), static_cast<long long>(r.valid),
              static_cast<long long>(r.evaluated), static_cast<long long>(r.memory_modeled),
              static_cast<long long>(r.simulated),
              static_cast<long long>(r.pruned_by_bound));
  std::printf("wall %.3f s on %d threads, top %d; simulated below their bound: %lld\n", wall, cores, o.top_k,
              static_cast<long long>(r.bound_violations));
  std::printf("evaluated per second per core: %.0f (Calculon: ~49)\n", r.evaluated / wall / cores);
  for (size_t k = 0; k < r.plans.size(); ++k) {
    std::printf("#%zu %s: step %.6f s\n", k + 1, ConfigLabel(r.plans[k].job).c_str(), r.plans[k].score.step_time_s);
  }
  if (!r.plans.empty()) {
    std::printf("best: %s: step %.3f s (lower bound %.3f s), mfu %.3f\n", ConfigLabel(r.plans[0].job).c_str(),
                r.plans[0].score.step_time_s, r.plans[0].lower_bound_s, r.plans[0].score.mfu);
  }
  return 0;
}
