// Loopback backend of communicator.h: ranks are threads sharing one Group.
// Collectives rendezvous in two phases on a generation-counted barrier: each
// rank publishes its buffer pointers, all wait, each rank reads its peers'
// buffers directly (summing in rank order 0..n-1, so results are identical on
// every rank and deterministic), all wait again so no buffer is released while
// a peer still reads it. send/recv use one mailbox queue per (src, dst) pair.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "runtime/communicator.h"

namespace parallax {
namespace {

struct Group {
  explicit Group(int n, double timeout) : size(n), timeout_s(timeout), in(n), out(n), counts(n), mail(n * n) {}
  const int size;
  const double timeout_s;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  int64_t generation = 0;
  bool aborted = false;
  std::vector<const float*> in;
  std::vector<float*> out;
  std::vector<size_t> counts;
  std::vector<std::deque<std::vector<float>>> mail;  // [src * size + dst]
  std::vector<float> scratch;                         // all_reduce result

  // Waits until every rank has arrived; throws on timeout or abort.
  void Wait(int rank, const char* what) {
    std::unique_lock<std::mutex> lock(mu);
    PARALLAX_COMM_CHECK(!aborted, "loopback rank " + std::to_string(rank) + ": group aborted in " + what);
    const int64_t gen = generation;
    if (++arrived == size) {
      arrived = 0;
      ++generation;
      cv.notify_all();
      return;
    }
    const bool ok = cv.wait_for(lock, std::chrono::duration<double>(timeout_s),
                                [&] { return generation != gen || aborted; });
    PARALLAX_COMM_CHECK(!aborted, "loopback rank " + std::to_string(rank) + ": group aborted in " + what);
    PARALLAX_COMM_CHECK(ok, "loopback rank " + std::to_string(rank) + ": timed out after " +
                                std::to_string(timeout_s) + " s waiting for peers in " + what);
  }

  void Abort() {
    std::lock_guard<std::mutex> lock(mu);
    aborted = true;
    cv.notify_all();
  }
};

class LoopbackCommunicator : public Communicator {
 public:
  LoopbackCommunicator(std::shared_ptr<Group> g, int rank) : g_(std::move(g)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return g_->size; }
  void Abort() override { g_->Abort(); }

  void all_reduce(float* buf, size_t count) override {
    // Phase 1 publish, phase 2 each rank sums its slice of all buffers into
    // the group's scratch, phase 3 everyone copies the full result.
    // (Rank 0 may grow scratch before publishing: every collective ends with
    // a wait after its last read, so nobody is reading scratch now.)
    if (rank_ == 0 && g_->scratch.size() < count) g_->scratch.resize(count);
    Publish(buf, buf, count, "all_reduce");
    const int n = g_->size;
    const size_t per = (count + n - 1) / n, begin = std::min(count, per * rank_), end = std::min(count, begin + per);
    float* s = g_->scratch.data();
    for (size_t i = begin; i < end; ++i) {
      float acc = 0;
      for (int r = 0; r < n; ++r) acc += g_->in[r][i];
      s[i] = acc;
    }
    g_->Wait(rank_, "all_reduce");
    std::memcpy(buf, s, count * sizeof(float));
    g_->Wait(rank_, "all_reduce");
  }

  void reduce_scatter(const float* in, float* out, size_t count) override {
    Publish(in, out, count, "reduce_scatter");
    const size_t off = static_cast<size_t>(rank_) * count;
    for (size_t i = 0; i < count; ++i) {
      float acc = 0;
      for (int r = 0; r < g_->size; ++r) acc += g_->in[r][off + i];
      out[i] = acc;
    }
    g_->Wait(rank_, "reduce_scatter");
  }

  void all_gather(const float* in, float* out, size_t count) override {
    Publish(in, out, count, "all_gather");
    for (int r = 0; r < g_->size; ++r) {
      float* dst = out + static_cast<size_t>(r) * count;
      if (dst != g_->in[r]) std::memcpy(dst, g_->in[r], count * sizeof(float));  // in place: own part is there
    }
    g_->Wait(rank_, "all_gather");
  }

  void send(const float* buf, size_t count, int peer) override {
    CheckPeer(peer, "send");
    std::lock_guard<std::mutex> lock(g_->mu);
    g_->mail[rank_ * g_->size + peer].emplace_back(buf, buf + count);
    g_->cv.notify_all();
  }

  void recv(float* buf, size_t count, int peer) override {
    CheckPeer(peer, "recv");
    std::unique_lock<std::mutex> lock(g_->mu);
    auto& box = g_->mail[peer * g_->size + rank_];
    const bool ok = g_->cv.wait_for(lock, std::chrono::duration<double>(g_->timeout_s),
                                    [&] { return !box.empty() || g_->aborted; });
    PARALLAX_COMM_CHECK(!g_->aborted, "loopback rank " + std::to_string(rank_) + ": group aborted in recv");
    PARALLAX_COMM_CHECK(ok, "loopback rank " + std::to_string(rank_) + ": timed out in recv from " + std::to_string(peer));
    PARALLAX_COMM_CHECK(box.front().size() == count, "loopback rank " + std::to_string(rank_) + ": recv of " +
                                                         std::to_string(count) + " floats from " + std::to_string(peer) +
                                                         " matched a send of " + std::to_string(box.front().size()));
    std::memcpy(buf, box.front().data(), count * sizeof(float));
    box.pop_front();
  }

  void barrier() override { g_->Wait(rank_, "barrier"); }

 private:
  // Publishes this rank's pointers and waits until all ranks have; checks counts match.
  void Publish(const float* in, float* out, size_t count, const char* what) {
    g_->in[rank_] = in;
    g_->out[rank_] = out;
    g_->counts[rank_] = count;
    g_->Wait(rank_, what);
    for (int r = 0; r < g_->size; ++r)
      PARALLAX_COMM_CHECK(g_->counts[r] == count, std::string(what) + ": rank " + std::to_string(rank_) + " has count " +
                                                      std::to_string(count) + " but rank " + std::to_string(r) +
                                                      " has " + std::to_string(g_->counts[r]));
  }
  void CheckPeer(int peer, const char* what) {
    PARALLAX_COMM_CHECK(peer >= 0 && peer < g_->size && peer != rank_,
                        std::string(what) + ": bad peer " + std::to_string(peer) + " from rank " + std::to_string(rank_));
  }

  std::shared_ptr<Group> g_;
  int rank_;
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> MakeLoopbackGroup(int ranks, double timeout_s) {
  PARALLAX_COMM_CHECK(ranks >= 1, "MakeLoopbackGroup: ranks must be >= 1, got " + std::to_string(ranks));
  auto g = std::make_shared<Group>(ranks, timeout_s);
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < ranks; ++r) comms.push_back(std::make_unique<LoopbackCommunicator>(g, r));
  return comms;
}

void RunThreads(int threads, const std::function<void(int)>& fn, const std::vector<Communicator*>& groups) {
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  for (int r = 0; r < threads; ++r) {
    pool.emplace_back([&, r] {
      try {
        fn(r);
      } catch (...) {
        errors[r] = std::current_exception();
        for (Communicator* c : groups) c->Abort();
      }
    });
  }
  for (auto& t : pool) t.join();
  // Report the root cause: the first error that is not a peer's abort notice.
  std::exception_ptr first_abort;
  for (auto& e : errors) {
    if (!e) continue;
    bool is_abort = false;
    try {
      std::rethrow_exception(e);
    } catch (const CommError& c) {
      is_abort = std::string(c.what()).find("group aborted") != std::string::npos;
    } catch (...) {
    }
    if (!is_abort) std::rethrow_exception(e);
    if (!first_abort) first_abort = e;
  }
  if (first_abort) std::rethrow_exception(first_abort);
}

void RunRanks(std::vector<std::unique_ptr<Communicator>>& comms, const std::function<void(Communicator&)>& fn) {
  std::vector<Communicator*> groups;
  for (auto& c : comms) groups.push_back(c.get());
  RunThreads(static_cast<int>(comms.size()), [&](int r) { fn(*comms[r]); }, groups);
}

}  // namespace parallax
