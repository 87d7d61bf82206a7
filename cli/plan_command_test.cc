// `parallax plan` end to end through CLI11 with the real evaluator: the
// table and JSON carry the ranked plans and the rejection counts, counts add
// up to the space, --out round-trips through LoadPlanFile to the same
// simulated step time, --emit prints the best plan's flags, and impossible
// requests are one-line SpecErrors naming the flag.
#include "cli/plan_command.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/job_io.h"
#include "simulator/simulate.h"

namespace parallax {
namespace {

std::string RunPlan(std::vector<std::string> args) {
  CLI::App app;
  AddPlanCommand(app);
  args.insert(args.begin(), "plan");
  std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
  testing::internal::CaptureStdout();
  try {
    app.parse(args);
  } catch (...) {
    testing::internal::GetCapturedStdout();
    throw;
  }
  return testing::internal::GetCapturedStdout();
}

const std::vector<std::string> kSmall = {"--model", "gpt-1.3b", "--cluster", "dgx-h100", "--gpus", "8",
                                         "--gbs", "64", "--seq", "2048"};

std::vector<std::string> With(std::vector<std::string> extra) {
  std::vector<std::string> a = kSmall;
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(PlanCommand, JsonHasRankedPlansAndCountsThatAddUp) {
  const auto j = nlohmann::json::parse(RunPlan(With({"--json", "--top", "4"})));
  for (const char* key : {"plans", "evaluated", "rejected", "search_time_s"}) EXPECT_TRUE(j.contains(key)) << key;
  ASSERT_EQ(j["plans"].size(), 4u);
  double prev = 0;
  for (const auto& p : j["plans"]) {
    for (const char* key : {"step_time_s", "tokens_per_s", "mfu", "bubble_fraction", "breakdown", "memory"}) {
      EXPECT_TRUE(p.contains(key)) << key;
    }
    EXPECT_GE(p["step_time_s"].get<double>(), prev);
    prev = p["step_time_s"];
    EXPECT_EQ(p["gpus"], 8);
    EXPECT_GT(p["headroom_bytes"].get<int64_t>(), 0);
    EXPECT_EQ(p["memory"]["peak_bytes"], p["peak_bytes"]);
    // tokens/s is the batch over the step time.
    EXPECT_NEAR(p["tokens_per_s"].get<double>(), 64.0 * 2048 / p["step_time_s"].get<double>(), 1e-6 * 64 * 2048);
  }
  int64_t rejected = 0;
  for (const auto& [reason, n] : j["rejected"].items()) {
    if (reason.rfind("memory", 0) != 0) rejected += n.get<int64_t>();
  }
  for (const auto& [kind, n] : j["duplicates"].items()) rejected += n.get<int64_t>();
  EXPECT_EQ(rejected + j["valid"].get<int64_t>(), j["space_size"].get<int64_t>());
  EXPECT_GE(j["simulated"].get<int64_t>(), 4);
  EXPECT_LE(j["simulated"].get<int64_t>(), j["evaluated"].get<int64_t>());
}

TEST(PlanCommand, TableNamesTheColumnsAndExplainsTheRanking) {
  const std::string out = RunPlan(kSmall);
  for (const char* s : {"configuration", "step s", "tokens/s", "MFU", "peak GiB", "headroom GiB", "bubble",
                        "exposed comm s", "why #1 ranks first (fastest):", "rejected:", "--tp: must divide", "evaluated"}) {
    EXPECT_NE(out.find(s), std::string::npos) << s << "\n" << out;
  }
}

TEST(PlanCommand, OutRoundTripsToTheSameSimulatedStep) {
  const std::string path = testing::TempDir() + "/plan.json";
  const auto j = nlohmann::json::parse(RunPlan(With({"--json", "--out", path})));
  const Job loaded = LoadPlanFile(path);
  EXPECT_EQ(ParallelToJson(loaded.parallel), j["plans"][0]["parallel"]);
  EXPECT_EQ(TrainingToJson(loaded.training), j["plans"][0]["training"]);
  EXPECT_DOUBLE_EQ(Simulate(loaded).step_time_s, j["plans"][0]["step_time_s"].get<double>());
  // Planning again from the plan file (its model, cluster, batch and GPU count) finds the same best plan.
  const auto again = nlohmann::json::parse(RunPlan({"--plan", path, "--json"}));
  EXPECT_EQ(again["plans"][0]["parallel"], j["plans"][0]["parallel"]);
}

TEST(PlanCommand, EmitPrintsTheBestPlansFlags) {
  const auto j = nlohmann::json::parse(RunPlan(With({"--json"})));
  const std::string megatron = RunPlan(With({"--emit", "megatron"}));
  const std::string tp = std::to_string(j["plans"][0]["parallel"]["tp"].get<int>());
  EXPECT_NE(megatron.find("--tensor-model-parallel-size " + tp + " "), std::string::npos) << megatron;
  const auto ds = nlohmann::json::parse(RunPlan(With({"--emit", "deepspeed"})));
  EXPECT_EQ(ds["train_batch_size"], 64);
  EXPECT_EQ(ds["zero_optimization"]["stage"], j["plans"][0]["parallel"]["zero"]);
}

void ExpectSpecError(const std::vector<std::string>& args, const std::string& prefix) {
  try {
    RunPlan(args);
    ADD_FAILURE() << "no error for " << prefix;
  } catch (const SpecError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(prefix, 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(PlanCommand, ImpossibleRequestsAreOneLineErrors) {
  ExpectSpecError({"--model", "gpt-1.3b", "--gpus", "999999", "--gbs", "64"}, "--gpus: 999999 is more than cluster");
  ExpectSpecError({"--model", "gpt-1.3b", "--gpus", "16-8", "--gbs", "64"}, "--gpus: range 16-8 is empty");
  ExpectSpecError({"--model", "gpt-1.3b", "--gpus", "x", "--gbs", "64"}, "--gpus: \"x\" must be");
  ExpectSpecError({"--model", "gpt-1.3b", "--gpus", "8"}, "--gbs: required");
  ExpectSpecError(With({"--objective", "fastets"}), "--objective: unknown value \"fastets\" (did you mean");
  ExpectSpecError(With({"--objective", "fewest-gpus"}), "--time-budget:");
  // A batch no split can serve: gpt-tiny (4 heads, 2 layers) at seq 8 splits at most tp 4 x pp 2 x cp 4
  // = 32 ways, so 64 GPUs need dp >= 2, which a global batch of 1 cannot feed.
  ExpectSpecError({"--model", "gpt-tiny", "--gpus", "64", "--gbs", "1", "--seq", "8"},
                  "--gbs: global batch not divisible by dp for every split");
}

TEST(PlanCommand, NothingFitsPrintsTheClosestPlanAndExits2) {
  std::string out;
  try {
    CLI::App app;
    AddPlanCommand(app);
    std::vector<std::string> args = {"plan", "--model", "llama3-405b", "--cluster", "dgx-h100", "--gpus", "8",
                                     "--gbs", "8", "--seq", "8192"};
    std::reverse(args.begin(), args.end());
    testing::internal::CaptureStdout();
    app.parse(args);
    out = testing::internal::GetCapturedStdout();
    ADD_FAILURE() << "no error";
  } catch (const SpecError& e) {
    out = testing::internal::GetCapturedStdout();
    EXPECT_EQ(std::string(e.what()).rfind("--gpus: no plan fits: the closest", 0), 0u) << e.what();
  }
  EXPECT_NE(out.find("closest plan: "), std::string::npos) << out;
  EXPECT_NE(out.find("more GPUs: the best split of"), std::string::npos) << out;
}

}  // namespace
}  // namespace parallax
