// Launched, forked or in-process ranks (see rank_launch.h).
#include "runtime/gpu/rank_launch.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "core/errors.h"
#include "runtime/gpu/local_launcher.h"

namespace parallax::gpu {
namespace {

int RunLaunchedRank(int world, int local_devices, const RankEnv& env, const RankBody& body,
                    std::vector<std::string>* results) {
  if (env.world != world)
    throw SpecError("--dp: launched as " + std::to_string(env.world) + " ranks by " + env.source + " but dp is " +
                    std::to_string(world) + "; pass --dp " + std::to_string(env.world));
  RankPlacement p;
  p.rank = env.rank;
  p.world = env.world;
  p.device = env.local_rank >= 0 ? env.local_rank : env.rank % (local_devices > 0 ? local_devices : 1);
  if (local_devices > 0 && p.device >= local_devices)
    throw SpecError("--dp: rank " + std::to_string(env.rank) + " (" + env.source + ") wants local GPU " +
                    std::to_string(p.device) + " but this node has " + std::to_string(local_devices));
  p.external = true;
  p.bootstrap = BootstrapFromEnv(env);
  results->push_back(body(p));
  return 0;
}

// Forks one process per rank; results travel back through files in a private folder.
int RunForkedRanks(int world, const RankBody& body, std::vector<std::string>* results) {
  char dir_template[] = "/tmp/parallax_ranks_XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir) throw std::runtime_error("mkdtemp /tmp/parallax_ranks_XXXXXX failed");
  const std::string folder = dir;
  auto result_path = [&](int r) { return folder + "/rank" + std::to_string(r) + ".result"; };
  BootstrapSpec bootstrap;
  bootstrap.path = folder + "/nccl_id";
  const int rc = RunLocalRanks(world, [&](int rank) {
    RankPlacement p;
    p.rank = rank;
    p.world = world;
    p.device = rank;
    p.bootstrap = bootstrap;
    const std::string result = body(p);
    std::ofstream out(result_path(rank), std::ios::binary);
    out << result;
    return out ? 0 : 1;
  });
  for (int r = 0; r < world; ++r) {
    std::ifstream f(result_path(r), std::ios::binary);
    if (rc == 0 && f) results->emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    std::remove(result_path(r).c_str());
  }
  std::remove(bootstrap.path.c_str());
  rmdir(dir);
  if (rc != 0 || int(results->size()) != world) {
    results->clear();
    return rc ? rc : 1;
  }
  return 0;
}

}  // namespace

int RunRanks(int world, int local_devices, const RankEnv& env, const RankBody& body,
             std::vector<std::string>* results) {
  results->clear();
  if (world < 1) throw SpecError("--dp: must be >= 1, got " + std::to_string(world));
  if (env.launched) return RunLaunchedRank(world, local_devices, env, body, results);
  if (world > local_devices)
    throw SpecError("--dp: one rank per local GPU; " + std::to_string(local_devices) + " found, dp = " +
                    std::to_string(world) + " (across nodes: one process per GPU with mpirun, srun or torchrun)");
  if (world == 1) {
    results->push_back(body(RankPlacement{}));
    return 0;
  }
  return RunForkedRanks(world, body, results);
}

}  // namespace parallax::gpu
