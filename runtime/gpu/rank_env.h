// Which rank this process is when a launcher started it: mpirun (Open MPI's
// OMPI_COMM_WORLD_*; MPICH / Intel MPI's PMI_RANK, PMI_SIZE, MPI_LOCALRANKID),
// srun (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID) or torchrun (RANK,
// WORLD_SIZE, LOCAL_RANK), read into one struct. Such a process is one rank:
// nothing is forked (rank_launch.h). Pure C++, no CUDA, so it is tested on CPU.
//
// Rules (a break is a SpecError naming the variable and the rule):
// - Values are decimal integers; rank in [0, world), world >= 1, local rank in
//   [0, world).
// - A family with any variable set needs its rank and size variables; its
//   local rank is optional (-1: unknown; the GPU is then rank % local GPUs).
// - Nested launchers are normal (torchrun or mpirun inside an srun step or an
//   sbatch script, which leaves SLURM_* behind), so the innermost family wins:
//   torchrun, then MPI, then Slurm. Families of the same level must agree:
//   Open MPI and PMI variables numbering the same process differently is an
//   error, not a guess.
#pragma once
#include <functional>
#include <string>

namespace parallax::gpu {

struct RankEnv {
  bool launched = false;  // a launcher's variables were found
  std::string source;     // "torchrun (RANK)", "Open MPI (OMPI_COMM_WORLD_RANK)", ...; "" if none
  int rank = 0, world = 1;
  int local_rank = -1;  // -1: the launcher did not say
};

// getenv-like lookup: nullptr when unset. The default reads the environment.
using EnvLookup = std::function<const char*(const char*)>;
RankEnv ReadRankEnv(const EnvLookup& lookup = nullptr);

}  // namespace parallax::gpu
