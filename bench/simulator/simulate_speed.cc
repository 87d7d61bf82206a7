// Wall time of Simulate() on the largest configurations the planner meets:
// narayanan-1t on 3072 dgx-a100-80g GPUs (tp 8, pp 64, dp 6, gbs 3072, interleaved
// vpp 2, full recompute) and llama3-405b on 16384 dgx-h100 GPUs (tp 8, pp 16,
// dp 128, gbs 2048, seq 8192, 1F1B with 7/8/.../8/7 layers per stage, SP,
// distributed optimizer — close to the Llama 3 paper's 16K-GPU setup). Prints the first (cold) call, which generates the programs and builds the
// graph, and the median of the repeats, which reuse them (Simulate caches the
// last few schedule structures; only costs and the timing pass are redone).
// Usage: bazel run -c opt //bench/simulator:simulate_speed
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "simulator/simulate.h"

using namespace parallax;

namespace {

void Time(const char* label, const Job& j, int reps) {
  std::vector<double> ms, cpu_ms;
  SimResult r;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    r = Simulate(j);
    const std::clock_t c1 = std::clock();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    cpu_ms.push_back(1e3 * static_cast<double>(c1 - c0) / CLOCKS_PER_SEC);
  }
  const double cold = ms.front(), cold_cpu = cpu_ms.front();  // builds the programs and the graph
  ms.erase(ms.begin());  // the rest reuse them (same schedule structure)
  cpu_ms.erase(cpu_ms.begin());
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  size_t instructions = 0;
  for (const Program& p : *r.structure) instructions += p.instructions.size();
  const auto lb0 = std::chrono::steady_clock::now();
  const double lb = EstimateStepTimeLowerBound(j);
  const auto lb1 = std::chrono::steady_clock::now();
  std::printf("| %s | %d | %lld | %zu | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f | %.4f |\n", label,
              j.parallel.gpus(), static_cast<long long>(j.micro_batches()), instructions, cold, cold_cpu,
              ms[ms.size() / 2], cpu_ms[cpu_ms.size() / 2], ms.front(), ms.back(),
              r.step_time_s, r.mfu, std::chrono::duration<double, std::milli>(lb1 - lb0).count());
  (void)lb;
}

}  // namespace

int main() {
  std::printf("| configuration | gpus | m | instructions | cold ms | cold cpu ms | warm median ms | warm median cpu ms | "
              "warm min ms | warm max ms | step s | mfu | lower bound ms |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  Job a;
  a.model = ResolveModel("narayanan-1t");
  a.cluster = ResolveCluster("dgx-a100-80g");
  a.training = {3072, 2048, 1, Precision::kBf16Mixed};
  a.parallel.tp = 8;
  a.parallel.pp = 64;
  a.parallel.dp = 6;
  a.parallel.schedule = ScheduleKind::kInterleaved;
  a.parallel.vpp = 2;
  a.parallel.recompute = Recompute::kFull;
  Time("narayanan-1t tp8 pp64 dp6 vpp2", a, 11);
  a.parallel.schedule = ScheduleKind::k1F1B;
  a.parallel.vpp = 1;
  Time("narayanan-1t tp8 pp64 dp6 1f1b", a, 11);

  Job b;
  b.model = ResolveModel("llama3-405b");
  b.cluster = ResolveCluster("dgx-h100");
  b.training = {2048, 8192, 1, Precision::kBf16Mixed};
  b.parallel.tp = 8;
  b.parallel.pp = 16;
  b.parallel.dp = 128;
  b.parallel.sp = true;
  b.parallel.zero = 1;
  // 126 layers over 16 stages: one fewer on the first and last (embedding, head).
  b.parallel.stage_layers = std::vector<int>(16, 8);
  b.parallel.stage_layers.front() = b.parallel.stage_layers.back() = 7;
  Time("llama3-405b tp8 pp16 dp128 1f1b", b, 21);
  return 0;
}
