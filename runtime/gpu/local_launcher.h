// One process per local GPU: RunLocalRanks forks `world` children before any
// CUDA call, runs body(rank) in each and waits. When a rank fails (non-zero
// exit, an exception, a signal) the launcher prints which rank and why, sends
// SIGTERM to the others (SIGKILL 10 s later, for ranks stuck in a collective)
// and returns 1; so every rank is gone within seconds, not at a NCCL timeout.
#pragma once
#include <functional>

namespace parallax::gpu {

// Returns 0 when every rank's body returned 0.
int RunLocalRanks(int world, const std::function<int(int rank)>& body);

}  // namespace parallax::gpu
