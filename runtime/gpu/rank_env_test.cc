// ReadRankEnv on made-up environments: each launcher's variables, nesting
// (innermost wins), and the broken cases that must fail with one line naming
// the variable: garbage, missing halves, out of range, conflicting MPI families.
#include "runtime/gpu/rank_env.h"

#include <map>
#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

using Env = std::map<std::string, std::string>;

RankEnv Read(const Env& env) {
  return ReadRankEnv([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

// The SpecError message of reading `env` ("" if it was accepted).
std::string ErrorOf(const Env& env) {
  try {
    Read(env);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(RankEnv, NoLauncherIsOneUnlaunchedRank) {
  const RankEnv e = Read({{"HOME", "/root"}, {"MASTER_ADDR", "x"}});
  EXPECT_FALSE(e.launched);
  EXPECT_EQ(e.rank, 0);
  EXPECT_EQ(e.world, 1);
  EXPECT_EQ(e.source, "");
}

TEST(RankEnv, ReadsEachLauncher) {
  RankEnv e = Read({{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "8"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}});
  EXPECT_TRUE(e.launched);
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.source, "Open MPI (OMPI_COMM_WORLD_RANK)");

  e = Read({{"PMI_RANK", "2"}, {"PMI_SIZE", "4"}, {"MPI_LOCALRANKID", "0"}});
  EXPECT_EQ(e.rank, 2);
  EXPECT_EQ(e.world, 4);
  EXPECT_EQ(e.local_rank, 0);

  e = Read({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "1"}});
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world, 16);
  EXPECT_EQ(e.local_rank, 1);

  e = Read({{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world, 2);
  EXPECT_EQ(e.local_rank, -1);  // unknown, not guessed
  EXPECT_EQ(e.source, "torchrun (RANK)");
}

TEST(RankEnv, InnermostLauncherWins) {
  // torchrun inside an srun step: SLURM_PROCID numbers nodes, RANK processes.
  RankEnv e = Read({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"},
                    {"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}});
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world, 8);
  EXPECT_EQ(e.local_rank, 1);
  // mpirun in an sbatch script, which leaves SLURM_PROCID=0 behind.
  e = Read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"OMPI_COMM_WORLD_RANK", "3"},
            {"OMPI_COMM_WORLD_SIZE", "4"}});
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.source, "Open MPI (OMPI_COMM_WORLD_RANK)");
}

TEST(RankEnv, AgreeingMpiFamiliesAreFine) {
  const RankEnv e = Read({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"},
                          {"PMI_RANK", "1"}, {"PMI_SIZE", "2"}});
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world, 2);
}

TEST(RankEnv, ConflictingMpiFamiliesAreAnError) {
  EXPECT_EQ(ErrorOf({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}, {"PMI_RANK", "0"},
                     {"PMI_SIZE", "2"}}),
            "PMI_RANK: rank 0 of 2 conflicts with OMPI_COMM_WORLD_RANK (rank 1 of 2); unset the stale variables");
}

TEST(RankEnv, GarbageValuesNameTheVariable) {
  EXPECT_EQ(ErrorOf({{"RANK", "one"}, {"WORLD_SIZE", "2"}}), "RANK: must be a non-negative integer, got \"one\"");
  EXPECT_EQ(ErrorOf({{"RANK", "0"}, {"WORLD_SIZE", "2x"}}), "WORLD_SIZE: must be a non-negative integer, got \"2x\"");
  EXPECT_EQ(ErrorOf({{"PMI_RANK", "-1"}, {"PMI_SIZE", "2"}}), "PMI_RANK: must be a non-negative integer, got \"-1\"");
  EXPECT_EQ(ErrorOf({{"SLURM_PROCID", ""}, {"SLURM_NTASKS", "2"}}), "SLURM_PROCID: must be a non-negative integer, got \"\"");
  EXPECT_EQ(ErrorOf({{"SLURM_PROCID", " 1"}, {"SLURM_NTASKS", "2"}}), "SLURM_PROCID: must be a non-negative integer, got \" 1\"");
  EXPECT_EQ(ErrorOf({{"RANK", "99999999999999999999"}, {"WORLD_SIZE", "2"}}),
            "RANK: must be a non-negative integer, got \"99999999999999999999\"");
}

TEST(RankEnv, MissingHalvesNameTheVariable) {
  EXPECT_EQ(ErrorOf({{"RANK", "0"}}), "WORLD_SIZE: not set, but RANK is (torchrun launches set both rank and size)");
  EXPECT_EQ(ErrorOf({{"OMPI_COMM_WORLD_SIZE", "4"}}),
            "OMPI_COMM_WORLD_RANK: not set, but OMPI_COMM_WORLD_SIZE is (Open MPI launches set both rank and size)");
  EXPECT_EQ(ErrorOf({{"LOCAL_RANK", "0"}}), "RANK: not set, but LOCAL_RANK is (torchrun launches set both rank and size)");
}

TEST(RankEnv, OutOfRangeValuesNameTheRule) {
  EXPECT_EQ(ErrorOf({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), "RANK: must be less than WORLD_SIZE (2), got 2");
  EXPECT_EQ(ErrorOf({{"PMI_RANK", "0"}, {"PMI_SIZE", "0"}}), "PMI_SIZE: must be >= 1, got 0");
  EXPECT_EQ(ErrorOf({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "2"}}),
            "SLURM_LOCALID: must be less than SLURM_NTASKS (2), got 2");
}

TEST(RankEnv, ReadsTheRealEnvironmentByDefault) {
  setenv("PMI_RANK", "1", 1);
  setenv("PMI_SIZE", "3", 1);
  const RankEnv e = ReadRankEnv();
  unsetenv("PMI_RANK");
  unsetenv("PMI_SIZE");
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world, 3);
}

}  // namespace
}  // namespace parallax::gpu
