// plan.json round trip and its strictness.
#include "core/job_io.h"

#include <gtest/gtest.h>

#include "core/cluster_io.h"
#include "core/errors.h"
#include "core/model_io.h"
#include "core/test_job.h"

namespace parallax {
namespace {

// doc with doc[section][key] = value is refused with a one-line error naming the key.
void ExpectRefusedNamingKey(nlohmann::json doc, const char* section, const char* key, const nlohmann::json& value) {
  doc[section][key] = value;
  try {
    JobFromJson(doc, "plan.json");
    FAIL() << key << " = " << value;
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(PlanJson, RoundTripsExactly) {
  Job j = MakeJob("llama3-405b", "dgx-h100", 8, 16, 128, 2048, 1, 8192);
  j.parallel.sp = true;
  j.parallel.zero = 1;
  j.parallel.recompute = Recompute::kSelective;
  j.parallel.stage_layers = {7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7};
  const nlohmann::json once = JobToJson(j);
  const nlohmann::json twice = JobToJson(JobFromJson(once, "plan.json"));
  EXPECT_EQ(once, twice);
  EXPECT_EQ(once["format_version"], kPlanFormatVersion);
}

TEST(PlanJson, OverlapSwitchesRoundTripAndDefaultOn) {
  Job j;
  j.model = ResolveModel("narayanan-18.4b");
  j.cluster = ResolveCluster("dgx-a100-80g");
  j.training = {1024, 2048, 1, Precision::kFp16Mixed};
  j.parallel.tp = 8;
  j.parallel.dp = 32;
  nlohmann::json doc = JobToJson(j);
  EXPECT_FALSE(doc["parallel"].contains("overlap_grad_reduce"));  // defaults are not written
  EXPECT_TRUE(JobFromJson(doc, "plan.json").parallel.overlap_p2p);
  j.parallel.overlap_grad_reduce = false;
  j.parallel.overlap_p2p = false;
  doc = JobToJson(j);
  const Job back = JobFromJson(doc, "plan.json");
  EXPECT_FALSE(back.parallel.overlap_grad_reduce);
  EXPECT_FALSE(back.parallel.overlap_p2p);
  for (const char* key : {"overlap_grad_reduce", "overlap_p2p"}) ExpectRefusedNamingKey(doc, "parallel", key, "yes");
}

TEST(PlanJson, PartialRecomputeRoundTripsAndBadValuesNameTheKey) {
  Job j = MakeJob("llama2-7b", "dgx-h100", 1, 1, 64, 64, 1, 4096);
  j.parallel.recompute = Recompute::kFull;
  nlohmann::json doc = JobToJson(j);
  EXPECT_FALSE(doc["parallel"].contains("recompute_layers"));  // 0 (every layer) is not written
  j.parallel.recompute_layers = 3;
  doc = JobToJson(j);
  EXPECT_EQ(JobFromJson(doc, "plan.json").parallel.recompute_layers, 3);
  for (const nlohmann::json& value : {nlohmann::json(-1), nlohmann::json("two")})
    ExpectRefusedNamingKey(doc, "parallel", "recompute_layers", value);
}

TEST(PlanJson, ActivationLayoutRoundTripsAndDefaultsToMegatron) {
  Job j;
  j.model = ResolveModel("gpt-1.3b");
  j.cluster = ResolveCluster("h200x4-measured");
  j.training = {4, 2048, 4, Precision::kBf16Mixed};
  nlohmann::json doc = JobToJson(j);
  EXPECT_FALSE(doc["training"].contains("activation_layout"));  // the default is not written
  EXPECT_EQ(JobFromJson(doc, "plan.json").training.activation_layout, ActivationLayout::kMegatron);
  j.training.activation_layout = ActivationLayout::kParallaxGpu;
  doc = JobToJson(j);
  EXPECT_EQ(doc["training"]["activation_layout"], "parallax-gpu");
  EXPECT_EQ(JobFromJson(doc, "plan.json").training.activation_layout, ActivationLayout::kParallaxGpu);
  ExpectRefusedNamingKey(doc, "training", "activation_layout", "pytorch");
}

TEST(PlanJson, Strict) {
  Job j;
  j.model = ResolveModel("gpt-tiny");
  j.cluster = ResolveCluster("h200x4-measured");
  j.training = {8, 64, 1, Precision::kAmp};
  nlohmann::json doc = JobToJson(j);
  doc["parallel"]["tpp"] = 2;
  try {
    JobFromJson(doc, "plan.json");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), "plan.json: parallel.tpp: unknown key (did you mean \"tp\"?)");
  }
  doc = JobToJson(j);
  doc["format_version"] = 7;
  try {
    JobFromJson(doc, "plan.json");
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()), "plan.json: format_version: unsupported version 7 (this parallax reads 1)");
  }
}

}  // namespace
}  // namespace parallax
