// Rank 0's bytes to every rank over a file or TCP (see bootstrap.h).
#include "runtime/gpu/bootstrap.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "core/errors.h"

namespace parallax::gpu {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kMagic[8] = {'P', 'L', 'X', 'B', 'O', 'O', 'T', '1'};

Clock::time_point DeadlineIn(double seconds) {
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1e3));
}

int MsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

// Closes the socket when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// Reads or writes exactly n bytes before the deadline; false on EOF, error or timeout.
bool Transfer(int fd, char* buf, size_t n, bool write, Clock::time_point deadline) {
  size_t done = 0;
  while (done < n) {
    pollfd p{fd, short(write ? POLLOUT : POLLIN), 0};
    const int ready = poll(&p, 1, MsLeft(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t k = write ? send(fd, buf + done, n - done, MSG_NOSIGNAL) : recv(fd, buf + done, n - done, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    done += size_t(k);
  }
  return true;
}

std::string ShareByFile(const BootstrapSpec& spec, int rank, const std::function<std::string()>& make,
                        double timeout_s) {
  if (rank == 0) {
    const std::string bytes = make();
    const std::string tmp = spec.path + ".tmp" + std::to_string(getpid());
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f.write(bytes.data(), std::streamsize(bytes.size()));
      if (!f) throw std::runtime_error("rank 0: cannot write the NCCL id to " + tmp);
    }
    if (std::rename(tmp.c_str(), spec.path.c_str()) != 0)
      throw std::runtime_error("rank 0: cannot rename " + tmp + " to " + spec.path + ": " + std::strerror(errno));
    return bytes;
  }
  const auto deadline = DeadlineIn(timeout_s);
  while (true) {
    std::ifstream f(spec.path, std::ios::binary);
    if (f) return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (Clock::now() > deadline)
      throw std::runtime_error("rank " + std::to_string(rank) + ": no NCCL id from rank 0 at " + spec.Describe() +
                               " after " + Seconds(timeout_s) + " (did rank 0 start? is the folder shared?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ServeByTcp(const BootstrapSpec& spec, int world, const std::function<std::string()>& make,
                       double timeout_s) {
  Fd server(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (server.fd < 0) throw std::runtime_error(std::string("rank 0: socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(server.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<uint16_t>(spec.port));
  if (bind(server.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(server.fd, 128) != 0)
    throw std::runtime_error("rank 0: cannot listen on port " + std::to_string(spec.port) + " for " +
                             spec.Describe() + ": " + std::strerror(errno) + " (choose a free PARALLAX_MASTER_PORT)");
  const std::string bytes = make();
  const uint32_t size = htonl(static_cast<uint32_t>(bytes.size()));
  const auto deadline = DeadlineIn(timeout_s);
  std::set<int> served;
  while (int(served.size()) < world - 1) {
    pollfd p{server.fd, POLLIN, 0};
    const int ready = poll(&p, 1, MsLeft(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      std::string missing;
      for (int r = 1; r < world && missing.size() < 200; ++r)
        if (!served.count(r)) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
      throw std::runtime_error("rank 0: rank(s) " + missing + " did not fetch the NCCL id from " + spec.Describe() +
                               " within " + Seconds(timeout_s) + " (are they started, with the same address?)");
    }
    Fd peer(accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (peer.fd < 0) continue;
    // A peer has a few seconds to say who it is: a stray connection cannot stall rank 0.
    const auto hello_deadline = std::min(deadline, DeadlineIn(5));
    char hello[sizeof kMagic + 4];
    if (!Transfer(peer.fd, hello, sizeof hello, false, hello_deadline)) continue;
    if (std::memcmp(hello, kMagic, sizeof kMagic) != 0) continue;
    uint32_t peer_rank = 0;
    std::memcpy(&peer_rank, hello + sizeof kMagic, 4);
    peer_rank = ntohl(peer_rank);
    if (peer_rank < 1 || int(peer_rank) >= world) continue;
    if (Transfer(peer.fd, const_cast<char*>(reinterpret_cast<const char*>(&size)), 4, true, deadline) &&
        Transfer(peer.fd, const_cast<char*>(bytes.data()), bytes.size(), true, deadline))
      served.insert(int(peer_rank));
  }
  return bytes;
}

// One attempt: connect, introduce, read the bytes. Returns "" and sets *why on failure.
bool FetchOnce(const BootstrapSpec& spec, int rank, Clock::time_point deadline, std::string* out, std::string* why) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  const int gai = getaddrinfo(spec.host.c_str(), std::to_string(spec.port).c_str(), &hints, &found);
  if (gai != 0) {
    *why = std::string("cannot resolve ") + spec.host + ": " + gai_strerror(gai);
    return false;
  }
  Fd sock(socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol));
  const int connected = sock.fd < 0 ? -1 : connect(sock.fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (connected != 0) {
    *why = std::strerror(errno);
    return false;
  }
  char hello[sizeof kMagic + 4];
  std::memcpy(hello, kMagic, sizeof kMagic);
  const uint32_t r = htonl(static_cast<uint32_t>(rank));
  std::memcpy(hello + sizeof kMagic, &r, 4);
  uint32_t size = 0;
  if (!Transfer(sock.fd, hello, sizeof hello, true, deadline) ||
      !Transfer(sock.fd, reinterpret_cast<char*>(&size), 4, false, deadline)) {
    *why = "connected, but rank 0 sent nothing";
    return false;
  }
  size = ntohl(size);
  if (size > (1u << 20)) {
    *why = "rank 0 announced " + std::to_string(size) + " bytes (not a parallax bootstrap?)";
    return false;
  }
  out->assign(size, '\0');
  if (!Transfer(sock.fd, out->data(), size, false, deadline)) {
    *why = "connection closed before the whole id arrived";
    return false;
  }
  return true;
}

std::string FetchByTcp(const BootstrapSpec& spec, int rank, double timeout_s) {
  const auto deadline = DeadlineIn(timeout_s);
  std::string bytes, why;
  while (true) {
    if (FetchOnce(spec, rank, deadline, &bytes, &why)) return bytes;
    if (Clock::now() > deadline)
      throw std::runtime_error("rank " + std::to_string(rank) + ": no NCCL id from rank 0 at " + spec.Describe() +
                               " after " + Seconds(timeout_s) + " (last error: " + why +
                               "; is rank 0 running, and the address reachable from here?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string RunId(const EnvLookup& get) {
  if (const char* v = get("PARALLAX_RUN_ID")) return v;
  if (const char* job = get("SLURM_JOB_ID")) {
    const char* step = get("SLURM_STEP_ID");
    return std::string(job) + "." + (step ? step : "0");
  }
  if (const char* v = get("TORCHELASTIC_RUN_ID")) return v;
  if (const char* v = get("OMPI_MCA_ess_base_jobid")) return v;
  return "0";
}

int ReadPort(const char* name, const char* text, int offset) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*text < '0' || *text > '9' || *end != '\0' || v < 1 || v + offset > 65535)
    throw SpecError(std::string(name) + ": must be a TCP port (1-" + std::to_string(65535 - offset) + "), got \"" +
                    text + "\"");
  return static_cast<int>(v) + offset;
}

}  // namespace

std::string BootstrapSpec::Describe() const {
  if (kind == Kind::kFile) return "file " + path;
  return "tcp " + host + ":" + std::to_string(port);
}

BootstrapSpec BootstrapFromEnv(const RankEnv& ranks, const EnvLookup& lookup) {
  const EnvLookup get = lookup ? lookup : EnvLookup([](const char* n) { return std::getenv(n); });
  BootstrapSpec spec;
  if (const char* dir = get("PARALLAX_SHARED_DIR")) {
    if (!*dir) throw SpecError("PARALLAX_SHARED_DIR: must name a folder every rank can read, got \"\"");
    spec.kind = BootstrapSpec::Kind::kFile;
    spec.path = std::string(dir) + "/parallax_nccl_id." + RunId(get);
    return spec;
  }
  for (const auto& [addr_name, port_name, offset] :
       {std::tuple<const char*, const char*, int>{"PARALLAX_MASTER_ADDR", "PARALLAX_MASTER_PORT", 0},
        {"MASTER_ADDR", "MASTER_PORT", 1}}) {
    const char* addr = get(addr_name);
    const char* port = get(port_name);
    if (!addr && !port) continue;
    if (!addr || !*addr) throw SpecError(std::string(addr_name) + ": not set, but " + port_name + " is");
    if (!port) throw SpecError(std::string(port_name) + ": not set, but " + addr_name + " is");
    spec.kind = BootstrapSpec::Kind::kTcp;
    spec.host = addr;
    spec.port = ReadPort(port_name, port, offset);
    return spec;
  }
  if (ranks.world > 1)
    throw SpecError("PARALLAX_MASTER_ADDR: launched as rank " + std::to_string(ranks.rank) + " of " +
                    std::to_string(ranks.world) + " by " + ranks.source +
                    " but no way to share the NCCL id: set PARALLAX_MASTER_ADDR and PARALLAX_MASTER_PORT "
                    "(rank 0's host, a free port) or PARALLAX_SHARED_DIR (a folder all ranks see)");
  return spec;  // one rank: nothing to share (empty path)
}

std::string ShareFromRank0(const BootstrapSpec& spec, int rank, int world, const std::function<std::string()>& make,
                           double timeout_s) {
  if (spec.kind == BootstrapSpec::Kind::kTcp)
    return rank == 0 ? ServeByTcp(spec, world, make, timeout_s) : FetchByTcp(spec, rank, timeout_s);
  if (world == 1 && spec.path.empty()) return make();
  return ShareByFile(spec, rank, make, timeout_s);
}

void FinishBootstrap(const BootstrapSpec& spec, int rank) {
  if (rank == 0 && spec.kind == BootstrapSpec::Kind::kFile && !spec.path.empty()) std::remove(spec.path.c_str());
}

}  // namespace parallax::gpu
