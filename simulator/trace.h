// Chrome trace (the JSON "trace event" format that Perfetto and
// chrome://tracing open) of a simulated step: one process per pipeline stage
// (pid = stage; one DP replica, all TP/CP ranks of a stage identical), one
// thread per stream (tid 0 compute, 1 p2p, 2 data-parallel), one complete
// event ("ph": "X") per instruction with ts/dur in microseconds. The runtime
// writes the same format, so predicted and measured traces sit side by side.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "simulator/simulate.h"

namespace parallax {

nlohmann::json TraceJson(const SimResult& result);
// Writes TraceJson to `path`; throws std::runtime_error if it cannot.
void WriteTrace(const SimResult& result, const std::string& path);

}  // namespace parallax
