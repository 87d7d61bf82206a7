// AllGatherStrings over the loopback communicator's thread ranks: strings of
// different lengths (empty, binary, longer than the rest) arrive intact and in
// rank order on every rank.
#include "runtime/gpu/rank_gather.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/communicator.h"

namespace parallax::gpu {
namespace {

std::string Payload(int rank) {
  if (rank == 1) return "";
  if (rank == 2) return std::string("\0\xff{\"rank\":2}\x7f\x80", 15) + std::string(10001, 'z');  // NaN-like bytes too
  return "{\"rank\":" + std::to_string(rank) + "}";
}

TEST(RankGather, EveryRankGetsEveryStringInRankOrder) {
  constexpr int kWorld = 4;
  auto comms = MakeLoopbackGroup(kWorld, 30);
  std::vector<std::vector<std::string>> got(kWorld);
  RunRanks(comms, [&](Communicator& comm) {
    got[comm.rank()] = AllGatherStrings(kWorld, Payload(comm.rank()), [&](const float* in, float* out, size_t n) {
      comm.all_gather(in, out, n);
    });
  });
  for (int r = 0; r < kWorld; ++r) {
    ASSERT_EQ(got[r].size(), size_t(kWorld));
    for (int q = 0; q < kWorld; ++q) EXPECT_EQ(got[r][q], Payload(q)) << "rank " << r << " about rank " << q;
  }
}

TEST(RankGather, OneRankAndEmptyStrings) {
  int calls = 0;
  auto copy = [&](const float* in, float* out, size_t n) {
    ++calls;
    std::copy(in, in + n, out);
  };
  EXPECT_EQ(AllGatherStrings(1, "only", copy), std::vector<std::string>{"only"});
  EXPECT_EQ(AllGatherStrings(1, "", copy), std::vector<std::string>{""});
  EXPECT_EQ(calls, 3);  // lengths + bytes, then lengths only (nothing to send)
}

}  // namespace
}  // namespace parallax::gpu
