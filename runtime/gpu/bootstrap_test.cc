// The NCCL-id hand-over without a GPU: file and TCP, ranks as threads and as
// forked processes (local_launcher), late starters, deadlines that end in an
// error naming the rank, a stray connection that must not stall rank 0, and
// the environment rules of BootstrapFromEnv.
#include "runtime/gpu/bootstrap.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "gtest/gtest.h"
#include "runtime/gpu/local_launcher.h"

namespace parallax::gpu {
namespace {

const std::string kId = std::string("nccl\0id-", 8) + std::string(120, 'x');  // binary, 128 bytes

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name + std::to_string(getpid());
}

// A port nobody listens on right now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

BootstrapSpec Tcp() {
  BootstrapSpec s;
  s.kind = BootstrapSpec::Kind::kTcp;
  s.host = "127.0.0.1";
  s.port = FreePort();
  return s;
}

BootstrapSpec File(const std::string& name) {
  BootstrapSpec s;
  s.path = TempPath(name);
  std::remove(s.path.c_str());
  return s;
}

// Runs `world` ranks as threads; rank 0 starts `rank0_delay_ms` after the others.
std::vector<std::string> ShareInThreads(const BootstrapSpec& spec, int world, int rank0_delay_ms) {
  std::vector<std::string> got(world);
  std::vector<std::thread> threads;
  for (int r = world - 1; r >= 0; --r) {
    threads.emplace_back([&, r] {
      if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(rank0_delay_ms));
      got[r] = ShareFromRank0(spec, r, world, [] { return kId; }, 10);
    });
  }
  for (auto& t : threads) t.join();
  return got;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Bootstrap, FileInThreadsWithALateRank0) {
  const BootstrapSpec spec = File("id_threads");
  for (const std::string& got : ShareInThreads(spec, 4, 200)) EXPECT_EQ(got, kId);
  FinishBootstrap(spec, 1);
  EXPECT_TRUE(std::ifstream(spec.path).good()) << "only rank 0 removes the file";
  FinishBootstrap(spec, 0);
  EXPECT_FALSE(std::ifstream(spec.path).good());
}

TEST(Bootstrap, TcpInThreadsWithALateRank0) {
  // The others start first and retry until rank 0 listens.
  for (const std::string& got : ShareInThreads(Tcp(), 4, 300)) EXPECT_EQ(got, kId);
}

TEST(Bootstrap, OneRankNeedsNobody) {
  EXPECT_EQ(ShareFromRank0(BootstrapSpec{}, 0, 1, [] { return kId; }, 1), kId);
  EXPECT_EQ(ShareFromRank0(Tcp(), 0, 1, [] { return kId; }, 1), kId);
}

// Forked ranks (separate processes, as on a machine): each checks what it got.
void ExpectSharedAcrossForks(const BootstrapSpec& spec) {
  const int rc = RunLocalRanks(3, [&](int rank) {
    return ShareFromRank0(spec, rank, 3, [] { return kId; }, 10) == kId ? 0 : 3;
  });
  EXPECT_EQ(rc, 0) << spec.Describe();
}

TEST(Bootstrap, FileAcrossForkedProcesses) {
  const BootstrapSpec spec = File("id_forks");
  ExpectSharedAcrossForks(spec);
  FinishBootstrap(spec, 0);
}

TEST(Bootstrap, TcpAcrossForkedProcesses) { ExpectSharedAcrossForks(Tcp()); }

TEST(Bootstrap, WaitingForAMissingRank0EndsInAnError) {
  const BootstrapSpec file = File("id_missing");
  const std::string err = ErrorOf([&] { ShareFromRank0(file, 2, 3, [] { return kId; }, 0.2); });
  EXPECT_EQ(err.rfind("rank 2: no NCCL id from rank 0 at file " + file.path + " after 0.2 s", 0), 0u) << err;

  const BootstrapSpec tcp = Tcp();
  const std::string err2 = ErrorOf([&] { ShareFromRank0(tcp, 1, 2, [] { return kId; }, 0.3); });
  EXPECT_EQ(err2.rfind("rank 1: no NCCL id from rank 0 at " + tcp.Describe() + " after 0.3 s", 0), 0u) << err2;
  EXPECT_NE(err2.find("Connection refused"), std::string::npos) << err2;
}

TEST(Bootstrap, Rank0NamesTheRanksThatNeverCame) {
  const BootstrapSpec spec = Tcp();
  std::thread one([&] { ShareFromRank0(spec, 1, 3, [] { return kId; }, 5); });
  const std::string err = ErrorOf([&] { ShareFromRank0(spec, 0, 3, [] { return kId; }, 0.5); });
  one.join();
  EXPECT_EQ(err.rfind("rank 0: rank(s) 2 did not fetch the NCCL id from " + spec.Describe(), 0), 0u) << err;
}

TEST(Bootstrap, AStrayConnectionDoesNotStallRank0) {
  const BootstrapSpec spec = Tcp();
  std::string got0;
  std::thread rank0([&] { got0 = ShareFromRank0(spec, 0, 2, [] { return kId; }, 10); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int fd = socket(AF_INET, SOCK_STREAM, 0);  // a port scanner: says something else
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(spec.port));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
  EXPECT_EQ(ShareFromRank0(spec, 1, 2, [] { return std::string("wrong"); }, 10), kId);
  rank0.join();
  close(fd);
  EXPECT_EQ(got0, kId);
}

TEST(Bootstrap, ABusyPortIsAClearError) {
  const BootstrapSpec spec = Tcp();
  const int holder = socket(AF_INET, SOCK_STREAM, 0);  // another program listens there
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  a.sin_port = htons(uint16_t(spec.port));
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(holder, 1), 0);
  const std::string err = ErrorOf([&] { ShareFromRank0(spec, 0, 2, [] { return kId; }, 1); });
  close(holder);
  EXPECT_EQ(err.rfind("rank 0: cannot listen on port " + std::to_string(spec.port), 0), 0u) << err;
  EXPECT_NE(err.find("Address already in use"), std::string::npos) << err;
}

using Env = std::map<std::string, std::string>;

BootstrapSpec FromEnv(const Env& env, int world = 2) {
  RankEnv ranks;
  ranks.launched = true;
  ranks.world = world;
  ranks.source = "torchrun (RANK)";
  return BootstrapFromEnv(ranks, [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(Bootstrap, FromEnvironment) {
  BootstrapSpec s = FromEnv({{"PARALLAX_SHARED_DIR", "/shared"}, {"SLURM_JOB_ID", "77"}, {"SLURM_STEP_ID", "3"},
                             {"MASTER_ADDR", "ignored"}, {"MASTER_PORT", "1"}});
  EXPECT_EQ(s.Describe(), "file /shared/parallax_nccl_id.77.3");
  s = FromEnv({{"PARALLAX_SHARED_DIR", "/shared"}, {"PARALLAX_RUN_ID", "exp1"}});
  EXPECT_EQ(s.Describe(), "file /shared/parallax_nccl_id.exp1");
  s = FromEnv({{"PARALLAX_MASTER_ADDR", "node0"}, {"PARALLAX_MASTER_PORT", "29600"}, {"MASTER_ADDR", "x"},
               {"MASTER_PORT", "29500"}});
  EXPECT_EQ(s.Describe(), "tcp node0:29600");
  s = FromEnv({{"MASTER_ADDR", "node0"}, {"MASTER_PORT", "29500"}});
  EXPECT_EQ(s.Describe(), "tcp node0:29501");  // torchrun's agent holds 29500
  s = FromEnv({}, 1);
  EXPECT_EQ(s.kind, BootstrapSpec::Kind::kFile);
  EXPECT_EQ(s.path, "");
}

TEST(Bootstrap, FromEnvironmentErrorsNameTheVariable) {
  auto err = [](const Env& env, int world = 2) { return ErrorOf([&] { FromEnv(env, world); }); };
  EXPECT_EQ(err({}), "PARALLAX_MASTER_ADDR: launched as rank 0 of 2 by torchrun (RANK) but no way to share the NCCL "
                     "id: set PARALLAX_MASTER_ADDR and PARALLAX_MASTER_PORT (rank 0's host, a free port) or "
                     "PARALLAX_SHARED_DIR (a folder all ranks see)");
  EXPECT_EQ(err({{"PARALLAX_MASTER_ADDR", "n0"}}), "PARALLAX_MASTER_PORT: not set, but PARALLAX_MASTER_ADDR is");
  EXPECT_EQ(err({{"MASTER_PORT", "29500"}}), "MASTER_ADDR: not set, but MASTER_PORT is");
  EXPECT_EQ(err({{"PARALLAX_MASTER_ADDR", "n0"}, {"PARALLAX_MASTER_PORT", "http"}}),
            "PARALLAX_MASTER_PORT: must be a TCP port (1-65535), got \"http\"");
  EXPECT_EQ(err({{"MASTER_ADDR", "n0"}, {"MASTER_PORT", "65535"}}),
            "MASTER_PORT: must be a TCP port (1-65534), got \"65535\"");
  EXPECT_EQ(err({{"PARALLAX_SHARED_DIR", ""}}), "PARALLAX_SHARED_DIR: must name a folder every rank can read, got \"\"");
}

}  // namespace
}  // namespace parallax::gpu
