// What `parallax run --backend gpu` refuses, before touching a GPU: each rule
// names its flag; a plain GPT or Llama data-parallel / ZeRO-1 job passes.
#include "cli/run_gpu_command.h"

#include "cli/job_flags.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace parallax {
namespace {

Job MakeJob(void (*edit)(JobFlags&)) {
  JobFlags f;
  f.model = "gpt-1.3b";
  f.gpus = 2;
  f.mbs = 4;
  edit(f);
  return BuildJob(f);
}

void ExpectRefused(void (*edit)(JobFlags&), const std::string& flag) {
  try {
    ValidateGpuJob(MakeJob(edit));
    ADD_FAILURE() << "accepted; expected an error naming " << flag;
  } catch (const SpecError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(flag, 0), 0u) << e.what();
  }
}

TEST(RunGpuCommand, AcceptsDataParallelAndZero1GptAndLlama) {
  EXPECT_NO_THROW(ValidateGpuJob(MakeJob([](JobFlags&) {})));
  EXPECT_NO_THROW(ValidateGpuJob(MakeJob([](JobFlags& f) { f.zero = 1; })));
  EXPECT_NO_THROW(ValidateGpuJob(MakeJob([](JobFlags& f) { f.model = "llama3-8b"; })));
  // Gradient accumulation: gbs 16 = mbs 4 x dp 2 x 2 micro-batches.
  EXPECT_NO_THROW(ValidateGpuJob(MakeJob([](JobFlags& f) { f.gbs = 16; })));
}

TEST(RunGpuCommand, RefusesWhatTheGpuBackendDoesNotRun) {
  ExpectRefused([](JobFlags& f) { f.tp = 2; f.gpus = 4; }, "--tp");
  ExpectRefused([](JobFlags& f) { f.pp = 2; f.gpus = 4; }, "--pp");
  ExpectRefused([](JobFlags& f) { f.zero = 2; }, "--zero");
  ExpectRefused([](JobFlags& f) { f.precision = "amp"; }, "--precision");
  ExpectRefused([](JobFlags& f) { f.recompute = "full"; }, "--recompute");
  ExpectRefused([](JobFlags& f) { f.attention = "unfused"; }, "--attention");
  ExpectRefused([](JobFlags& f) { f.model = "mixtral-8x7b"; f.gpus = 8; }, "--model");
}

TEST(RunGpuCommand, TensorAndPipelineParallelNameTheRule) {
  auto message = [](void (*edit)(JobFlags&), const std::string& plan) {
    try {
      ValidateGpuJob(MakeJob(edit), plan);
    } catch (const SpecError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message([](JobFlags& f) { f.tp = 2; f.gpus = 2; }, ""),
            "--tp: tensor-parallel execution on GPUs is not implemented (the gpu backend runs tp = 1), got 2");
  EXPECT_EQ(message([](JobFlags& f) { f.tp = 2; f.gpus = 2; }, "plan.json"),
            "--plan: tensor-parallel execution on GPUs is not implemented (the gpu backend runs tp = 1), "
            "plan.json has tp = 2");
  EXPECT_EQ(message([](JobFlags& f) { f.pp = 4; f.gpus = 4; }, "p.json"),
            "--plan: pipeline-parallel execution on GPUs is not implemented (the gpu backend runs pp = 1), "
            "p.json has pp = 4");
}

}  // namespace
}  // namespace parallax
