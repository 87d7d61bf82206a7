// The collective and point-to-point interface the executor and optimizer talk
// to, with interchangeable backends: a loopback backend whose ranks are
// threads of one process (the CPU backend and tests), and later NCCL behind the
// same calls. All calls are blocking and sum-reducing over fp32; every rank of
// a group must make the same collective calls in the same order with the same
// counts. Failures throw CommError whose message carries file:line.
// Lifetime: a Communicator belongs to one rank (one thread) and must outlive
// that rank's calls; the loopback group is shared by its communicators.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace parallax {

class CommError : public std::runtime_error {
 public:
  explicit CommError(const std::string& message) : std::runtime_error(message) {}
};

// Throws CommError("file:line: message") when `cond` is false.
#define PARALLAX_COMM_CHECK(cond, message)                                                              \
  do {                                                                                                  \
    if (!(cond))                                                                                        \
      throw ::parallax::CommError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + (message)); \
  } while (0)

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // buf[0..count) = sum over ranks of buf (in place); every rank gets the same bits.
  virtual void all_reduce(float* buf, size_t count) = 0;
  // in has size() * count elements; out[0..count) = sum over ranks of in[rank * count ..).
  virtual void reduce_scatter(const float* in, float* out, size_t count) = 0;
  // out[r * count ..) = rank r's in[0..count); out has size() * count elements.
  virtual void all_gather(const float* in, float* out, size_t count) = 0;
  virtual void send(const float* buf, size_t count, int peer) = 0;
  virtual void recv(float* buf, size_t count, int peer) = 0;
  virtual void barrier() = 0;
  // Makes every rank of the group that waits, or will wait, throw instead of
  // blocking (ncclCommAbort's role): called when a rank fails.
  virtual void Abort() = 0;
};

// `ranks` communicators of one loopback group; hand communicator r to thread r.
// A rank that waits longer than `timeout_s` for its peers (a deadlock, or a
// peer that died) throws; when one rank calls Abort (via RunRanks) all waiting
// ranks throw instead of hanging.
std::vector<std::unique_ptr<Communicator>> MakeLoopbackGroup(int ranks, double timeout_s = 120);

// Runs fn(i) for i in [0, threads) on one thread each and joins them. If any
// throws, every communicator in `groups` is aborted (peers stop waiting) and
// the root-cause error (not a peer's abort notice) is rethrown here.
void RunThreads(int threads, const std::function<void(int)>& fn, const std::vector<Communicator*>& groups);

// RunThreads with thread r running fn(*comms[r]).
void RunRanks(std::vector<std::unique_ptr<Communicator>>& comms, const std::function<void(Communicator&)>& fn);

}  // namespace parallax
