// Every rank's string (its run summary, with its trace spans) to every rank,
// over the one collective every communicator has: a float all-gather. Ranks
// started by mpirun / srun / torchrun live in separate processes, on separate
// nodes, so this is how rank 0 learns each rank's peak memory and writes one
// trace for all. Lengths go first, then the bytes packed into floats (copied
// bit for bit; an all-gather does no arithmetic). Pure C++: tested with the
// loopback communicator's thread ranks.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace parallax::gpu {

// out[r * count ..) = rank r's in[0..count), host buffers, blocking.
using HostAllGather = std::function<void(const float* in, float* out, size_t count)>;

// Returns every rank's `mine`, in rank order; every rank must call it.
std::vector<std::string> AllGatherStrings(int world, const std::string& mine, const HostAllGather& all_gather);

}  // namespace parallax::gpu
