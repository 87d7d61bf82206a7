// RunRanks without a GPU: forked ranks report their placement back in rank
// order and share one bootstrap file; a failing rank empties the results; one
// rank runs in this process; a launched rank (mpirun etc.) runs here once,
// on its launcher's local GPU, with the bootstrap the environment names; the
// mismatches are one-line SpecErrors naming --dp.
#include "runtime/gpu/rank_launch.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

std::string Describe(const RankPlacement& p) {
  return "rank " + std::to_string(p.rank) + "/" + std::to_string(p.world) + " gpu " + std::to_string(p.device) +
         (p.external ? " external " : " local ") + p.bootstrap.Describe() + " pid " + std::to_string(getpid());
}

std::string ErrorOf(int world, int devices, const RankEnv& env) {
  std::vector<std::string> results;
  try {
    RunRanks(world, devices, env, [](const RankPlacement&) { return std::string(); }, &results);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(RankLaunch, ForksOneProcessPerRankAndReturnsResultsInRankOrder) {
  std::vector<std::string> results;
  ASSERT_EQ(RunRanks(3, 4, RankEnv{}, Describe, &results), 0);
  ASSERT_EQ(results.size(), 3u);
  const std::string me = " pid " + std::to_string(getpid());
  std::string file;
  for (int r = 0; r < 3; ++r) {
    const std::string& s = results[r];
    EXPECT_EQ(s.rfind("rank " + std::to_string(r) + "/3 gpu " + std::to_string(r) + " local file /tmp/", 0), 0u) << s;
    EXPECT_EQ(s.find(me), std::string::npos) << "rank " << r << " ran in the parent: " << s;
    const std::string f = s.substr(s.find("file "), s.find(" pid") - s.find("file "));
    if (r == 0) file = f;
    EXPECT_EQ(f, file) << "every rank uses the same bootstrap file";
  }
}

TEST(RankLaunch, AFailingRankEmptiesTheResults) {
  std::vector<std::string> results;
  testing::internal::CaptureStderr();
  const int rc = RunRanks(2, 2, RankEnv{}, [](const RankPlacement& p) -> std::string {
    if (p.rank == 1) throw std::runtime_error("injected");
    return "ok";
  }, &results);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(results.empty());
  EXPECT_NE(err.find("rank 1: injected"), std::string::npos) << err;
}

TEST(RankLaunch, OneLocalRankRunsInThisProcess) {
  std::vector<std::string> results;
  ASSERT_EQ(RunRanks(1, 1, RankEnv{}, Describe, &results), 0);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], "rank 0/1 gpu 0 local file  pid " + std::to_string(getpid()));
}

TEST(RankLaunch, MoreRanksThanLocalGpusIsAnError) {
  EXPECT_EQ(ErrorOf(4, 2, RankEnv{}),
            "--dp: one rank per local GPU; 2 found, dp = 4 (across nodes: one process per GPU with mpirun, srun or "
            "torchrun)");
}

RankEnv Launched(int rank, int world, int local) {
  RankEnv env;
  env.launched = true;
  env.source = "Open MPI (OMPI_COMM_WORLD_RANK)";
  env.rank = rank;
  env.world = world;
  env.local_rank = local;
  return env;
}

TEST(RankLaunch, ALaunchedRankRunsHereOnItsLocalGpu) {
  setenv("PARALLAX_MASTER_ADDR", "node0", 1);
  setenv("PARALLAX_MASTER_PORT", "29600", 1);
  std::vector<std::string> results;
  ASSERT_EQ(RunRanks(4, 2, Launched(3, 4, 1), Describe, &results), 0);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], "rank 3/4 gpu 1 external tcp node0:29600 pid " + std::to_string(getpid()));
  // No local rank from the launcher: rank % local GPUs.
  ASSERT_EQ(RunRanks(4, 2, Launched(2, 4, -1), Describe, &results), 0);
  EXPECT_EQ(results.at(0).rfind("rank 2/4 gpu 0 external", 0), 0u) << results[0];
  unsetenv("PARALLAX_MASTER_ADDR");
  unsetenv("PARALLAX_MASTER_PORT");
}

TEST(RankLaunch, LaunchMismatchesAreErrors) {
  EXPECT_EQ(ErrorOf(1, 8, Launched(0, 2, 0)),
            "--dp: launched as 2 ranks by Open MPI (OMPI_COMM_WORLD_RANK) but dp is 1; pass --dp 2");
  EXPECT_EQ(ErrorOf(8, 2, Launched(5, 8, 3)),
            "--dp: rank 5 (Open MPI (OMPI_COMM_WORLD_RANK)) wants local GPU 3 but this node has 2");
  EXPECT_EQ(ErrorOf(2, 2, Launched(1, 2, 1)).rfind("PARALLAX_MASTER_ADDR: launched as rank 1 of 2", 0), 0u);
}

}  // namespace
}  // namespace parallax::gpu
