// Chrome trace of measured spans (see span_trace.h).
#include "runtime/gpu/span_trace.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace parallax::gpu {

int NestSpans(std::vector<Span>* spans) {
  std::sort(spans->begin(), spans->end(), [](const Span& a, const Span& b) {
    if (a.tid != b.tid) return a.tid < b.tid;
    if (a.start_us != b.start_us) return a.start_us < b.start_us;
    return a.dur_us > b.dur_us;  // the enclosing span first
  });
  int trimmed = 0;
  std::vector<double> open_ends;  // ends of the spans enclosing the current one
  int tid = -1;
  for (Span& s : *spans) {
    if (s.tid != tid) open_ends.clear(), tid = s.tid;
    if (s.dur_us < 0) s.dur_us = 0, ++trimmed;
    while (!open_ends.empty() && open_ends.back() <= s.start_us) open_ends.pop_back();
    if (!open_ends.empty() && s.start_us + s.dur_us > open_ends.back()) {
      s.dur_us = open_ends.back() - s.start_us;
      ++trimmed;
    }
    open_ends.push_back(s.start_us + s.dur_us);
  }
  return trimmed;
}

nlohmann::json SpansToJson(const std::vector<Span>& spans) {
  nlohmann::json out = nlohmann::json::array();
  for (const Span& s : spans) out.push_back({s.name, s.cat, s.tid, s.start_us, s.dur_us});
  return out;
}

std::vector<Span> SpansFromJson(const nlohmann::json& j) {
  std::vector<Span> out;
  for (const auto& e : j)
    out.push_back(Span{e.at(0).get<std::string>(), e.at(1).get<std::string>(), e.at(2).get<int>(),
                       e.at(3).get<double>(), e.at(4).get<double>()});
  return out;
}

nlohmann::json SpanTraceJson(std::vector<RankSpans> ranks, const nlohmann::json& other) {
  static const char* kStreamNames[] = {"compute", "p2p", "data-parallel"};
  nlohmann::json events = nlohmann::json::array();
  int trimmed = 0;
  for (RankSpans& r : ranks) {
    trimmed += NestSpans(&r.spans);
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", r.rank},
                      {"args", {{"name", "rank " + std::to_string(r.rank)}}}});
    for (int tid = kComputeTid; tid <= kDataParallelTid; ++tid)
      events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", r.rank}, {"tid", tid},
                        {"args", {{"name", kStreamNames[tid]}}}});
    for (const Span& s : r.spans)
      events.push_back({{"name", s.name}, {"cat", s.cat}, {"ph", "X"}, {"pid", r.rank}, {"tid", s.tid},
                        {"ts", s.start_us}, {"dur", s.dur_us}});
  }
  nlohmann::json data = other;
  data["trimmed_spans"] = trimmed;
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}, {"otherData", data}};
}

void WriteSpanTrace(std::vector<RankSpans> ranks, const std::string& path, const nlohmann::json& other) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("trace: cannot write " + path);
  out << SpanTraceJson(std::move(ranks), other).dump() << "\n";
  if (!out) throw std::runtime_error("trace: error writing " + path);
}

}  // namespace parallax::gpu
