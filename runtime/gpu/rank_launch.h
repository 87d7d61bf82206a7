// Where a job's ranks run and how they find each other, decided once for the
// GPU runtime: started by mpirun / srun / torchrun (rank_env.h) this process is
// exactly one rank and nothing is forked; otherwise one process per local GPU
// is forked (local_launcher.h), or, for one rank, the body runs right here.
// Each rank gets its placement (rank, world, GPU, NCCL-id bootstrap) and returns
// a result string (its summary) that comes back to the caller in rank order.
// Pure C++ (no CUDA): the caller counts the GPUs; tested on CPU.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "runtime/gpu/bootstrap.h"
#include "runtime/gpu/rank_env.h"

namespace parallax::gpu {

struct RankPlacement {
  int rank = 0, world = 1;
  int device = 0;         // local GPU: the launcher's local rank, else rank % local GPUs
  bool external = false;  // started by mpirun / srun / torchrun
  BootstrapSpec bootstrap;
};

// Runs body for this process's ranks of a `world`-rank job (see above).
// Launched: env.world must equal world (SpecError naming --dp otherwise) and
// *results holds this rank's result only. Forked: world <= local_devices
// (SpecError otherwise) and *results holds every rank's result, or is empty
// when a rank failed. Returns 0 when every rank here succeeded.
using RankBody = std::function<std::string(const RankPlacement&)>;
int RunRanks(int world, int local_devices, const RankEnv& env, const RankBody& body,
             std::vector<std::string>* results);

}  // namespace parallax::gpu
