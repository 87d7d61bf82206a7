// The Chrome trace holds one complete event per instruction with the
// timeline's start and duration in microseconds, on pid = stage and
// tid = stream, plus process / thread name metadata.
#include "simulator/trace.h"

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "core/test_job.h"

namespace parallax {
namespace {

TEST(Trace, OneEventPerInstructionInMicroseconds) {
  const Job j = MakeJob("gpt-350m", "dgx-a100-80g", 1, 2, 2, 16, 1, 1024);
  const SimResult r = Simulate(j);
  const nlohmann::json t = TraceJson(r);
  size_t instructions = 0;
  for (const Program& p : r.Programs()) instructions += p.instructions.size();
  size_t complete = 0, meta = 0;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "M") {
      ++meta;
      continue;
    }
    ++complete;
    EXPECT_GE(e["dur"].get<double>(), 0.0);
  }
  EXPECT_EQ(complete, instructions);
  EXPECT_EQ(meta, static_cast<size_t>(r.num_stages()) * 4);
  // The first event of stage 1 (after its 4 metadata events) matches the timeline.
  size_t idx = 0;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "X" && e["pid"] == 1) {
      EXPECT_NEAR(e["ts"].get<double>(), r.timeline.start_s(1, idx) * 1e6, 1e-6);
      EXPECT_NEAR(e["dur"].get<double>(), (r.timeline.end_s(1, idx) - r.timeline.start_s(1, idx)) * 1e6, 1e-6);
      EXPECT_EQ(e["tid"], r.ProgramOf(1).instructions[idx].stream == Stream::kCompute ? 0 : e["tid"].get<int>());
      break;
    }
  }
}

}  // namespace
}  // namespace parallax
