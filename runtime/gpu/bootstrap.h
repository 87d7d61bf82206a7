// Hands rank 0's bytes (the NCCL unique id) to every rank before NCCL exists.
// Two ways, both plain POSIX so they are tested on CPU with threads and forks:
// - file: rank 0 writes the bytes beside `path` and renames them into place
//   (atomic: a reader never sees half); the others poll for the file. Local
//   forked ranks use a private temp folder; across nodes, a shared folder
//   (PARALLAX_SHARED_DIR).
// - tcp: rank 0 listens on host:port and sends the bytes to each of the other
//   world - 1 ranks, which connect with retries; rank 0 returns once every rank
//   has them (so it never closes the port under a late rank).
// Every wait has a deadline and ends in an error naming the rank, the address
// and what to check; nobody waits for an NCCL timeout.
#pragma once
#include <functional>
#include <string>

#include "runtime/gpu/rank_env.h"

namespace parallax::gpu {

struct BootstrapSpec {
  enum class Kind { kFile, kTcp };
  Kind kind = Kind::kFile;
  std::string path;  // kFile: the id file
  std::string host;  // kTcp: rank 0's address (rank 0 listens on all interfaces)
  int port = 0;
  std::string Describe() const;  // "file /x/nccl_id" or "tcp host:port"
};

// For ranks started by a launcher (rank_env.h), from the environment:
// PARALLAX_SHARED_DIR (file DIR/parallax_nccl_id.<run>, where <run> is
// PARALLAX_RUN_ID, else SLURM_JOB_ID.SLURM_STEP_ID, else TORCHELASTIC_RUN_ID,
// else OMPI_MCA_ess_base_jobid, else "0"), else PARALLAX_MASTER_ADDR and
// PARALLAX_MASTER_PORT, else MASTER_ADDR and MASTER_PORT + 1 (torchrun's agent
// holds MASTER_PORT itself). None of them with world > 1 is a SpecError that
// says what to set; world 1 needs none (a private temp file).
BootstrapSpec BootstrapFromEnv(const RankEnv& ranks, const EnvLookup& lookup = nullptr);

// Rank 0 calls make() and shares its result; every rank returns the bytes.
// Throws std::runtime_error when the deadline passes.
std::string ShareFromRank0(const BootstrapSpec& spec, int rank, int world,
                           const std::function<std::string()>& make, double timeout_s = 60);

// Once every rank has the bytes (e.g. after ncclCommInitRank): rank 0 removes
// the file so a later run cannot read a stale id. Nothing for tcp.
void FinishBootstrap(const BootstrapSpec& spec, int rank);

}  // namespace parallax::gpu
