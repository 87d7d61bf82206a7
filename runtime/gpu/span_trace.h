// The GPU runtime's measured trace, in the simulator's Chrome-trace format
// (simulator/trace.h) so predicted and measured steps open side by side in
// Perfetto: pid = rank, tid = stream (0 compute, 1 p2p, 2 data-parallel), one
// complete event ("ph": "X") per span, ts / dur in microseconds. Spans come from
// CUDA events (stream_profile.h: one per op, inside a span per step; NCCL
// collectives from nccl_communicator.h); this part is plain C++ and JSON, so it
// is tested on CPU. Chrome's viewer stacks spans of one thread only when they
// nest; NestSpans orders them and trims the rare partial overlap (timer
// rounding) so that they do.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parallax::gpu {

// Thread ids, as the simulator's streams.
constexpr int kComputeTid = 0, kP2pTid = 1, kDataParallelTid = 2;

struct Span {
  std::string name;  // "gemm fwd qkv", "step 4", "all-reduce 12.6 MB"
  std::string cat;   // "op", "step", "collective"
  int tid = kComputeTid;
  double start_us = 0, dur_us = 0;
};

// Sorts by (tid, start, longest first) and trims any span that starts inside
// another of its thread but ends after it, to end with it. Returns how many it trimmed.
int NestSpans(std::vector<Span>* spans);

// Compact JSON for moving spans between processes (a rank's summary), and back.
nlohmann::json SpansToJson(const std::vector<Span>& spans);
std::vector<Span> SpansFromJson(const nlohmann::json& j);

struct RankSpans {
  int rank = 0;
  std::vector<Span> spans;
};

// The trace of every rank given (spans nested with NestSpans; the number
// trimmed goes into otherData.trimmed_spans, beside `other`).
nlohmann::json SpanTraceJson(std::vector<RankSpans> ranks, const nlohmann::json& other = nlohmann::json::object());
// Writes SpanTraceJson to path; throws std::runtime_error if it cannot.
void WriteSpanTrace(std::vector<RankSpans> ranks, const std::string& path,
                    const nlohmann::json& other = nlohmann::json::object());

}  // namespace parallax::gpu
