// Chrome trace export; see trace.h.
#include "simulator/trace.h"

#include <fstream>
#include <stdexcept>

namespace parallax {
namespace {

int StreamTid(Stream s) {
  switch (s) {
    case Stream::kCompute: return 0;
    case Stream::kP2p: return 1;
    case Stream::kDataParallel: return 2;
  }
  return 0;
}

const char* StreamName(Stream s) {
  switch (s) {
    case Stream::kCompute: return "compute";
    case Stream::kP2p: return "p2p";
    case Stream::kDataParallel: return "data-parallel";
  }
  return "?";
}

}  // namespace

nlohmann::json TraceJson(const SimResult& r) {
  nlohmann::json events = nlohmann::json::array();
  for (int s = 0; s < r.num_stages(); ++s) {
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", s}, {"args", {{"name", "stage " + std::to_string(s)}}}});
    for (Stream st : {Stream::kCompute, Stream::kP2p, Stream::kDataParallel}) {
      events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", s}, {"tid", StreamTid(st)},
                        {"args", {{"name", StreamName(st)}}}});
    }
    const std::vector<Instruction> ins = r.ProgramOf(s).instructions;
    for (size_t i = 0; i < ins.size(); ++i) {
      const double start = r.timeline.start_s(s, i), end = r.timeline.end_s(s, i);
      events.push_back({{"name", ToString(ins[i])},
                        {"cat", OpName(ins[i].op)},
                        {"ph", "X"},
                        {"pid", s},
                        {"tid", StreamTid(ins[i].stream)},
                        {"ts", start * 1e6},
                        {"dur", (end - start) * 1e6}});
    }
  }
  return {{"traceEvents", events},
          {"displayTimeUnit", "ms"},
          {"otherData", {{"step_time_s", r.step_time_s}, {"note", r.note}}}};
}

void WriteTrace(const SimResult& result, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("trace: cannot write " + path);
  out << TraceJson(result).dump() << "\n";
  if (!out) throw std::runtime_error("trace: error writing " + path);
}

}  // namespace parallax
