// The launcher's failure contract without a GPU: all ranks fine -> 0; one rank
// failing -> 1, the failing rank named, and a peer that would wait forever (as
// one stuck in a collective) is stopped instead of hanging the run.
#include "runtime/gpu/local_launcher.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

TEST(LocalLauncher, ReturnsZeroWhenEveryRankSucceeds) {
  EXPECT_EQ(RunLocalRanks(3, [](int) { return 0; }), 0);
}

TEST(LocalLauncher, NamesTheFailingRankAndStopsTheOthers) {
  testing::internal::CaptureStderr();
  const int rc = RunLocalRanks(3, [](int rank) {
    if (rank == 1) return 7;
    pause();  // waits for a signal: only the launcher's SIGTERM ends it
    return 0;
  });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("rank 1 failed (exit code 7)"), std::string::npos) << err;
}

TEST(LocalLauncher, AnExceptionIsAFailure) {
  testing::internal::CaptureStderr();
  const int rc = RunLocalRanks(2, [](int rank) -> int {
    if (rank == 0) throw std::runtime_error("boom");
    return 0;
  });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("rank 0: boom"), std::string::npos) << err;
  EXPECT_NE(err.find("rank 0 failed"), std::string::npos) << err;
}

}  // namespace
}  // namespace parallax::gpu
