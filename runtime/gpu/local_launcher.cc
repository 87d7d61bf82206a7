// Local multi-process launcher (see local_launcher.h).
#include "runtime/gpu/local_launcher.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

namespace parallax::gpu {
namespace {

// Children to take down if the launcher itself is told to stop (timeout, ^C).
constexpr int kMaxRanks = 64;
volatile sig_atomic_t g_children[kMaxRanks];
volatile sig_atomic_t g_num_children = 0;

void StopChildrenAndExit(int sig) {
  for (int i = 0; i < g_num_children; ++i)
    if (g_children[i] > 0) kill(pid_t(g_children[i]), SIGKILL);
  _exit(128 + sig);
}

}  // namespace

int RunLocalRanks(int world, const std::function<int(int rank)>& body) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (world > kMaxRanks) {
    std::fprintf(stderr, "launcher: at most %d local ranks\n", kMaxRanks);
    return 1;
  }
  std::vector<pid_t> pids(world, -1);
  for (int r = 0; r < world; ++r) {
    const pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      for (int q = 0; q < r; ++q) kill(pids[q], SIGKILL);
      return 1;
    }
    if (pid == 0) {
      int rc = 1;
      try {
        rc = body(r);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", r, e.what());
      }
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(rc);
    }
    pids[r] = pid;
    g_children[r] = pid;
    g_num_children = r + 1;
  }
  signal(SIGTERM, StopChildrenAndExit);
  signal(SIGINT, StopChildrenAndExit);
  int alive = world, failed_rank = -1;
  auto kill_deadline = std::chrono::steady_clock::time_point::max();
  while (alive > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0) break;
    if (pid == 0) {  // nobody exited: ranks stuck inside NCCL may ignore SIGTERM
      if (std::chrono::steady_clock::now() > kill_deadline)
        for (pid_t p : pids)
          if (p > 0) kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    int r = 0;
    while (r < world && pids[r] != pid) ++r;
    if (r == world) continue;
    pids[r] = -1;
    g_children[r] = 0;
    --alive;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok || failed_rank >= 0) continue;
    failed_rank = r;
    if (WIFEXITED(status))
      std::fprintf(stderr, "launcher: rank %d failed (exit code %d); stopping the other ranks\n", r,
                   WEXITSTATUS(status));
    else
      std::fprintf(stderr, "launcher: rank %d failed (signal %d); stopping the other ranks\n", r,
                   WTERMSIG(status));
    for (pid_t p : pids)
      if (p > 0) kill(p, SIGTERM);
    kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  }
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  g_num_children = 0;
  if (failed_rank >= 0) {
    std::fprintf(stderr, "launcher: exiting non-zero because rank %d failed\n", failed_rank);
    return 1;
  }
  return 0;
}

}  // namespace parallax::gpu
