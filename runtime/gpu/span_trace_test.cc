// The measured trace's JSON on CPU: spans of each stream come out ordered and
// properly nested (a child inside its parent, siblings one after another),
// a partial overlap is trimmed and counted, ranks are processes and streams
// threads with the simulator's names, and spans survive the trip through a
// rank's summary JSON.
#include "runtime/gpu/span_trace.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace parallax::gpu {
namespace {

Span S(const std::string& name, int tid, double start, double dur, const std::string& cat = "op") {
  return Span{name, cat, tid, start, dur};
}

// Fails the test unless the X events of every (pid, tid) are ordered by start
// and each either nests in the one still open or starts after it ends.
void ExpectNestedAndOrdered(const nlohmann::json& trace) {
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> open;  // ends stack per thread
  std::map<std::pair<int, int>, double> last_start;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    const auto key = std::make_pair(e["pid"].get<int>(), e["tid"].get<int>());
    const double ts = e["ts"], end = ts + e["dur"].get<double>();
    EXPECT_GE(e["dur"].get<double>(), 0) << e;
    if (last_start.count(key)) {
      EXPECT_LE(last_start[key], ts) << "out of order: " << e;
    }
    last_start[key] = ts;
    auto& stack = open[key];
    while (!stack.empty() && stack.back().second <= ts) stack.pop_back();
    if (!stack.empty()) {
      EXPECT_LE(end, stack.back().second) << "not nested: " << e;
    }
    stack.push_back({ts, end});
  }
}

TEST(SpanTrace, OrdersAndNestsEachStream) {
  std::vector<Span> spans = {S("gemm", 0, 10, 5), S("all-reduce", 2, 12, 20, "collective"),
                             S("step 4", 0, 0, 40, "step"), S("embedding", 0, 0, 10), S("adamw", 0, 15, 25)};
  EXPECT_EQ(NestSpans(&spans), 0);
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(spans[0].name, "step 4");  // the enclosing span first at equal start
  EXPECT_EQ(spans[1].name, "embedding");
  EXPECT_EQ(spans[2].name, "gemm");
  EXPECT_EQ(spans[3].name, "adamw");
  EXPECT_EQ(spans[4].name, "all-reduce");
}

TEST(SpanTrace, TrimsAPartialOverlapToItsParent) {
  std::vector<Span> spans = {S("step 1", 0, 0, 100, "step"), S("late op", 0, 90, 15), S("step 2", 0, 100, 50, "step"),
                             S("negative", 0, 120, -1)};
  EXPECT_EQ(NestSpans(&spans), 2);
  EXPECT_EQ(spans[1].name, "late op");
  EXPECT_DOUBLE_EQ(spans[1].dur_us, 10);  // ends with step 1
  EXPECT_EQ(spans[3].name, "negative");
  EXPECT_DOUBLE_EQ(spans[3].dur_us, 0);
  // Other threads are independent: a collective overlapping a step is fine.
  std::vector<Span> two = {S("step 1", 0, 0, 100, "step"), S("all-reduce", 2, 90, 30, "collective")};
  EXPECT_EQ(NestSpans(&two), 0);
}

TEST(SpanTrace, RanksAreProcessesAndStreamsThreads) {
  std::vector<RankSpans> ranks(2);
  ranks[0].rank = 0;
  ranks[0].spans = {S("step 4", 0, 0, 40, "step"), S("gemm", 0, 35, 10), S("all-reduce", 2, 20, 30, "collective")};
  ranks[1].rank = 1;
  ranks[1].spans = {S("gemm", 0, 5, 10), S("step 4", 0, 1, 30, "step")};
  const nlohmann::json trace = SpanTraceJson(ranks, {{"model", "gpt-tiny"}});
  ExpectNestedAndOrdered(trace);
  EXPECT_EQ(trace["otherData"]["trimmed_spans"], 1);  // rank 0's gemm ran past its step
  EXPECT_EQ(trace["otherData"]["model"], "gpt-tiny");
  EXPECT_EQ(trace["displayTimeUnit"], "ms");
  std::map<std::string, int> x_per_rank;
  std::map<std::string, std::string> thread_names;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "X") {
      ++x_per_rank[std::to_string(e["pid"].get<int>())];
      for (const char* key : {"name", "cat", "pid", "tid", "ts", "dur"}) EXPECT_TRUE(e.contains(key)) << key;
    } else if (e["name"] == "thread_name") {
      thread_names[std::to_string(e["tid"].get<int>())] = e["args"]["name"];
    } else {
      EXPECT_EQ(e["name"], "process_name");
      EXPECT_EQ(e["args"]["name"], "rank " + std::to_string(e["pid"].get<int>()));
    }
  }
  EXPECT_EQ(x_per_rank["0"], 3);
  EXPECT_EQ(x_per_rank["1"], 2);
  EXPECT_EQ(thread_names["0"], "compute");  // simulator/trace.cc's stream names
  EXPECT_EQ(thread_names["1"], "p2p");
  EXPECT_EQ(thread_names["2"], "data-parallel");
}

TEST(SpanTrace, SpansSurviveASummaryRoundTrip) {
  const std::vector<Span> spans = {S("gemm fwd qkv", 0, 1.25, 3.5), S("all-reduce 12.6 MB", 2, 2, 7, "collective")};
  const std::vector<Span> back = SpansFromJson(nlohmann::json::parse(SpansToJson(spans).dump()));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].name, "all-reduce 12.6 MB");
  EXPECT_EQ(back[1].cat, "collective");
  EXPECT_EQ(back[1].tid, kDataParallelTid);
  EXPECT_DOUBLE_EQ(back[0].start_us, 1.25);
  EXPECT_DOUBLE_EQ(back[0].dur_us, 3.5);
}

TEST(SpanTrace, WritesAFileThatParses) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/trace.json";
  WriteSpanTrace({RankSpans{0, {S("step 1", 0, 0, 5, "step")}}}, path);
  std::ifstream in(path);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["traceEvents"].back()["name"], "step 1");
  EXPECT_THROW(WriteSpanTrace({}, "/nonexistent/dir/trace.json"), std::runtime_error);
}

}  // namespace
}  // namespace parallax::gpu
