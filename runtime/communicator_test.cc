// Loopback collectives against serial sums over 1..4 thread-ranks, p2p in a
// ring, and the failure paths (count mismatch, deadlock timeout, a rank that
// throws) with file:line in the message.
#include "runtime/communicator.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace parallax {
namespace {

float Value(int rank, size_t i) { return 0.5f * rank + 0.25f * static_cast<float>(i % 7) + 1.0f; }

TEST(LoopbackCommunicator, CollectivesMatchSerialSums) {
  for (int n = 1; n <= 4; ++n) {
    const size_t count = 1001;  // not a multiple of n
    auto comms = MakeLoopbackGroup(n);
    std::vector<std::vector<float>> ar(n), rs(n), ag(n);
    RunRanks(comms, [&](Communicator& c) {
      const int r = c.rank();
      ar[r].resize(count);
      for (size_t i = 0; i < count; ++i) ar[r][i] = Value(r, i);
      c.all_reduce(ar[r].data(), count);
      std::vector<float> in(count * n);
      for (size_t i = 0; i < in.size(); ++i) in[i] = Value(r, i);
      rs[r].resize(count);
      c.reduce_scatter(in.data(), rs[r].data(), count);
      std::vector<float> mine(count, static_cast<float>(r + 1));
      ag[r].resize(count * n);
      c.all_gather(mine.data(), ag[r].data(), count);
      c.barrier();
    });
    for (int r = 0; r < n; ++r) {
      for (size_t i = 0; i < count; ++i) {
        float want = 0;
        for (int q = 0; q < n; ++q) want += Value(q, i);
        ASSERT_EQ(ar[r][i], want) << "n " << n;
        float want_rs = 0;
        for (int q = 0; q < n; ++q) want_rs += Value(q, r * count + i);
        ASSERT_EQ(rs[r][i], want_rs);
        for (int q = 0; q < n; ++q) ASSERT_EQ(ag[r][q * count + i], q + 1.0f);
      }
    }
  }
}

TEST(LoopbackCommunicator, InPlaceReduceScatterAndAllGather) {
  const int n = 3;
  const size_t per = 5;
  auto comms = MakeLoopbackGroup(n);
  std::vector<std::vector<float>> buf(n, std::vector<float>(n * per));
  RunRanks(comms, [&](Communicator& c) {
    auto& b = buf[c.rank()];
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i + c.rank());
    c.reduce_scatter(b.data(), b.data() + c.rank() * per, per);
    c.all_gather(b.data() + c.rank() * per, b.data(), per);
  });
  for (int r = 0; r < n; ++r)
    for (size_t i = 0; i < n * per; ++i) EXPECT_EQ(buf[r][i], n * static_cast<float>(i) + 0 + 1 + 2);
}

TEST(LoopbackCommunicator, SendRecvRing) {
  const int n = 4;
  auto comms = MakeLoopbackGroup(n);
  std::vector<float> got(n);
  RunRanks(comms, [&](Communicator& c) {
    const float mine[2] = {static_cast<float>(c.rank()), 7};
    c.send(mine, 2, (c.rank() + 1) % n);
    float in[2];
    c.recv(in, 2, (c.rank() + n - 1) % n);
    got[c.rank()] = in[0];
  });
  for (int r = 0; r < n; ++r) EXPECT_EQ(got[r], (r + n - 1) % n);
}

TEST(LoopbackCommunicator, CountMismatchNamesFileAndLine) {
  auto comms = MakeLoopbackGroup(2);
  try {
    RunRanks(comms, [&](Communicator& c) {
      std::vector<float> b(10);
      c.all_reduce(b.data(), c.rank() == 0 ? 10 : 9);
    });
    FAIL() << "no error";
  } catch (const CommError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("loopback_communicator.cc:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("count"), std::string::npos) << msg;
  }
}

TEST(LoopbackCommunicator, DeadlockTimesOut) {
  auto comms = MakeLoopbackGroup(2, /*timeout_s=*/0.2);
  EXPECT_THROW(RunRanks(comms,
                        [&](Communicator& c) {
                          float x;
                          c.recv(&x, 1, 1 - c.rank());  // both receive, nobody sends
                        }),
               CommError);
}

TEST(LoopbackCommunicator, FailingRankAbortsPeersAndItsErrorIsReported) {
  auto comms = MakeLoopbackGroup(3);
  try {
    RunRanks(comms, [&](Communicator& c) {
      if (c.rank() == 1) throw std::runtime_error("rank 1 broke");
      c.barrier();  // ranks 0 and 2 would wait forever without the abort
    });
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "rank 1 broke");
  }
}

}  // namespace
}  // namespace parallax
