// Launcher rank variables (see rank_env.h).
#include "runtime/gpu/rank_env.h"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "core/errors.h"

namespace parallax::gpu {
namespace {

struct Family {
  const char* name;
  const char *rank, *size, *local;  // local may have a second spelling below
  const char* local_alt;
  int level;  // 0 innermost (torchrun), 1 MPI, 2 Slurm
};

constexpr Family kFamilies[] = {
    {"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", nullptr, 0},
    {"Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", nullptr, 1},
    {"PMI", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", 1},
    {"Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", nullptr, 2},
};

// -1 when unset; throws on anything but a non-negative decimal integer.
int ReadInt(const EnvLookup& get, const char* name) {
  const char* text = get(name);
  if (!text) return -1;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno == ERANGE || v < 0 || v > 1 << 30 || (*text < '0' || *text > '9'))
    throw SpecError(std::string(name) + ": must be a non-negative integer, got \"" + text + "\"");
  return static_cast<int>(v);
}

struct Found {
  const Family* family;
  RankEnv env;
};

// Reads one family; false when none of its variables is set.
bool ReadFamily(const Family& f, const EnvLookup& get, Found* out) {
  const int rank = ReadInt(get, f.rank), size = ReadInt(get, f.size);
  int local = ReadInt(get, f.local);
  const char* local_name = f.local;
  if (local < 0 && f.local_alt) local = ReadInt(get, local_name = f.local_alt);
  if (rank < 0 && size < 0 && local < 0) return false;
  if (rank < 0)
    throw SpecError(std::string(f.rank) + ": not set, but " + (size >= 0 ? f.size : local_name) +
                    " is (" + f.name + " launches set both rank and size)");
  if (size < 0)
    throw SpecError(std::string(f.size) + ": not set, but " + f.rank + " is (" + f.name +
                    " launches set both rank and size)");
  if (size < 1) throw SpecError(std::string(f.size) + ": must be >= 1, got 0");
  if (rank >= size)
    throw SpecError(std::string(f.rank) + ": must be less than " + f.size + " (" + std::to_string(size) +
                    "), got " + std::to_string(rank));
  if (local >= size)
    throw SpecError(std::string(local_name) + ": must be less than " + f.size + " (" +
                    std::to_string(size) + "), got " + std::to_string(local));
  out->family = &f;
  out->env.launched = true;
  out->env.source = std::string(f.name) + " (" + f.rank + ")";
  out->env.rank = rank;
  out->env.world = size;
  out->env.local_rank = local;
  return true;
}

}  // namespace

RankEnv ReadRankEnv(const EnvLookup& lookup) {
  const EnvLookup get = lookup ? lookup : EnvLookup([](const char* n) { return std::getenv(n); });
  std::vector<Found> found;
  for (const Family& f : kFamilies) {
    Found x;
    if (ReadFamily(f, get, &x)) found.push_back(x);
  }
  if (found.empty()) return RankEnv{};
  const Found& inner = found.front();  // kFamilies is ordered innermost first
  for (size_t i = 1; i < found.size(); ++i) {
    const Found& other = found[i];
    if (other.family->level != inner.family->level) continue;
    if (other.env.rank != inner.env.rank || other.env.world != inner.env.world)
      throw SpecError(std::string(other.family->rank) + ": rank " + std::to_string(other.env.rank) + " of " +
                      std::to_string(other.env.world) + " conflicts with " + inner.family->rank + " (rank " +
                      std::to_string(inner.env.rank) + " of " + std::to_string(inner.env.world) +
                      "); unset the stale variables");
  }
  return inner.env;
}

}  // namespace parallax::gpu
