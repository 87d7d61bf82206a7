// The memory model against independent numbers: the ZeRO paper's example,
// Megatron's bytes per parameter, Korthikanti et al. 2022 Table 2, Megatron's
// in-flight micro-batch rule, and the measured PyTorch runs on H200.
#include "simulator/memory_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/test_job.h"

#include "core/cluster_io.h"
#include "core/model_io.h"
#include "core/units.h"
#include "simulator/activations.h"
#include "simulator/program_inflight.h"
#include "simulator/schedule.h"

namespace parallax {
namespace {

TEST(ModelStates, ZeroPaperExample) {
  // Rajbhandari et al. 2020, Fig. 1: Psi = 7.5B, N_d = 64, K = 12.
  const double expected_gb[] = {120, 31.4, 16.6, 1.9};
  for (int zero = 0; zero <= 3; ++zero) {
    const double gb = ModelStates(7.5e9, Precision::kFp16Mixed, zero, 64).total() / 1e9;
    EXPECT_NEAR(gb, expected_gb[zero], 0.05) << "stage " << zero;
  }
}

TEST(ModelStates, MegatronBytesPerParameter) {
  // Megatron distributed optimizer docs: bf16 params / fp32 grads: 18, and 6 + 12/d distributed.
  EXPECT_DOUBLE_EQ(ModelStates(1, Precision::kBf16Mixed, 0, 8).total(), 18);
  for (int d : {1, 2, 8, 64}) EXPECT_DOUBLE_EQ(ModelStates(1, Precision::kBf16Mixed, 1, d).total(), 6 + 12.0 / d);
  // fp32 params and grads (AMP): 16 and 8 + 8/d.
  EXPECT_DOUBLE_EQ(ModelStates(1, Precision::kAmp, 0, 8).total(), 16);
  EXPECT_DOUBLE_EQ(ModelStates(1, Precision::kAmp, 1, 8).total(), 8 + 8.0 / 8);
}

TEST(Activations, KorthikantiTable2) {
  // GPT-3 175B (a = 96, h = 12288), s = 2048, b = 1, t = 8, dropout, unfused attention.
  Job j = MakeJob("gpt3-175b", "dgx-a100-80g", 8, 1, 1, 1, 1, 2048);
  j.parallel.attention = AttentionKernel::kUnfused;
  const double s = 2048, b = 1, h = 12288, a = 96, t = 8, sbh = s * b * h;
  auto bytes = [&](int tp, bool sp, Recompute r) {
    Job k = j;
    k.parallel.tp = tp;
    k.parallel.sp = sp;
    k.parallel.recompute = r;
    return LayerActivationBytes(k, 0);
  };
  EXPECT_DOUBLE_EQ(bytes(1, false, Recompute::kNone), sbh * (34 + 5 * a * s / h));
  EXPECT_DOUBLE_EQ(bytes(8, false, Recompute::kNone), sbh * (10 + 24 / t + 5 * a * s / (h * t)));
  EXPECT_DOUBLE_EQ(bytes(8, true, Recompute::kNone), sbh / t * (34 + 5 * a * s / h));
  EXPECT_DOUBLE_EQ(bytes(8, false, Recompute::kSelective), sbh * (10 + 24 / t));
  EXPECT_DOUBLE_EQ(bytes(8, true, Recompute::kSelective), 34 * sbh / t);
  EXPECT_DOUBLE_EQ(bytes(8, false, Recompute::kFull), 2 * sbh);
}

TEST(Activations, FlashDropsTheQuadraticTerm) {
  Job j = MakeJob("gpt-1.3b", "dgx-h100", 1, 1, 1, 8, 1, 2048);
  j.parallel.attention = AttentionKernel::kUnfused;
  const double unfused = LayerActivationBytes(j, 0);
  j.parallel.attention = AttentionKernel::kFlash;
  const double flash = LayerActivationBytes(j, 0);
  // No dropout: unfused keeps the softmax output 2as^2b; flash keeps fp32 row statistics 4asb.
  const double a = 16, s = 2048;
  EXPECT_DOUBLE_EQ(unfused - flash, 2 * a * s * s - 4 * a * s);
}

TEST(Inflight, MegatronScheduleRules) {
  ParallelConfig p;
  p.pp = 4;
  p.schedule = ScheduleKind::k1F1B;
  for (int s = 0; s < 4; ++s) EXPECT_EQ(InflightMicroBatches(p, 16, s), 4 - s);
  EXPECT_EQ(InflightMicroBatches(p, 2, 0), 2);  // m < p
  p.schedule = ScheduleKind::kGPipe;
  EXPECT_EQ(InflightMicroBatches(p, 16, 3), 16);
  // Interleaved, first stage: Megatron's factor 1 + (p - 1)/(p v) on p micro-batches of L/p layers.
  p.schedule = ScheduleKind::kInterleaved;
  for (int v : {2, 3, 4}) {
    p.vpp = v;
    EXPECT_DOUBLE_EQ(InflightMicroBatches(p, 64, 0), 4 * (1 + 3.0 / (4 * v))) << v;
  }
}

TEST(StageParams, UnevenStagesCarryEmbeddingAndHead) {
  Job j = MakeJob("llama3-405b", "dgx-h100", 8, 16, 128, 2048, 1, 8192);
  j.parallel.stage_layers = {7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7};
  const double layer = CountLayerParams(j.model, 0).attention / 8.0 + CountLayerParams(j.model, 0).dense_mlp / 8.0 +
                       CountLayerParams(j.model, 0).norms;
  // Megatron pads the vocabulary to a multiple of 128 x tp: 128256 -> 129024.
  ASSERT_EQ(PaddedVocab(j), 129024);
  const double vocab_h = 129024.0 * 16384 / 8;
  EXPECT_NEAR(ParamsOnStage(j, 0).dense, 7 * layer + vocab_h, 1);
  EXPECT_NEAR(ParamsOnStage(j, 1).dense, 8 * layer, 1);
  EXPECT_NEAR(ParamsOnStage(j, 15).dense, 7 * layer + vocab_h + 16384, 1);
  // Sum over stages x tp = the model (norms and final norm are replicated, not sharded).
  double total = 0;
  for (int s = 0; s < 16; ++s) total += ParamsOnStage(j, s).dense;
  const ParamCounts c = CountParams(j.model);
  EXPECT_NEAR(total * 8 - (c.norms + c.final_norm) * 7 - 2 * (129024.0 - 128256) * 16384, c.total(), 1);
}

TEST(Memory, BreakdownAddsUpToPeak) {
  for (auto schedule : {ScheduleKind::k1F1B, ScheduleKind::kGPipe}) {
    Job j = MakeJob("llama2-70b", "dgx-h100", 8, 4, 4, 256, 1, 4096);
    j.parallel.schedule = schedule;
    j.parallel.zero = 1;
    const MemoryReport r = EstimateMemory(j);
    ASSERT_EQ(r.ranks.size(), 4u);
    for (const auto& row : r.ranks) {
      EXPECT_EQ(row.weights_bytes + row.gradients_bytes + row.optimizer_bytes + row.activations_bytes + row.other_bytes,
                row.peak_bytes);
    }
    // 1F1B: the first stage keeps the most micro-batches.
    if (schedule == ScheduleKind::k1F1B) {
      EXPECT_GT(r.ranks[0].activations_bytes, r.ranks[2].activations_bytes);
    }
  }
}

TEST(Memory, Fp16GradientsGetAnFp32CopyAtTheStep) {
  // 18.4B (Narayanan 2021) at tp 2, pp 2, dp 64, fp16-mixed, full recompute: the
  // optimizer step adds 4 B per parameter (1/dp of it with ZeRO-1) and becomes
  // the peak; bf16-mixed keeps fp32 main grads and has no such copy.
  Job j = MakeJob("narayanan-18.4b", "dgx-a100-80g", 2, 2, 64, 1024, 1, 2048);
  j.training.precision = Precision::kFp16Mixed;
  j.parallel.recompute = Recompute::kFull;
  auto copy_bytes = [](const StageMemory& row) {
    for (const auto& t : row.terms)
      if (t.category == std::string("step transient")) return t.bytes;
    return int64_t{0};
  };
  const MemoryReport r = EstimateMemory(j);
  const double params = ParamsOnStage(j, 0).dense;
  EXPECT_NEAR(copy_bytes(r.ranks[0]), 4.0 * params, 1);
  EXPECT_EQ(r.ranks[0].peak_phase, "optimizer step");
  EXPECT_GT(r.peak_bytes, r.capacity_bytes);  // 16 + 4 B per parameter: does not fit in 80 GiB
  EXPECT_EQ(r.ranks[0].weights_bytes + r.ranks[0].gradients_bytes + r.ranks[0].optimizer_bytes +
                r.ranks[0].activations_bytes + r.ranks[0].other_bytes,
            r.ranks[0].peak_bytes);
  j.parallel.zero = 1;
  EXPECT_NEAR(copy_bytes(EstimateMemory(j).ranks[0]), 4.0 * params / 64, 1);
  j.training.precision = Precision::kBf16Mixed;
  EXPECT_EQ(copy_bytes(EstimateMemory(j).ranks[0]), 0);
}

TEST(Memory, MeasuredPyTorchOnH200) {
  // shared/reference/measured-h200x4-2026-11-28: GPT-1.3B, autocast bf16, flash attention,
  // micro-batch 4, seq 2048; torch.cuda.max_memory_allocated 35.4 GiB on 1 GPU, 45.2 GiB with DDP on 4.
  Job one = MakeJob("gpt-1.3b", "h200x4-measured", 1, 1, 1, 4, 4, 2048);
  one.training.precision = Precision::kAmp;
  const double single = EstimateMemory(one).ranks[0].allocated_peak_bytes / kGiB;
  EXPECT_NEAR(single, 35.43, 35.43 * 0.05);
  Job ddp = one;
  ddp.parallel.dp = 4;
  ddp.training.global_batch = 16;
  const double four = EstimateMemory(ddp).ranks[0].allocated_peak_bytes / kGiB;
  std::printf("gpt-1.3b amp: predicted %.2f GiB (measured 35.43), DDP x4 %.2f GiB (measured 45.2)\n", single, four);
  EXPECT_NEAR(four, 45.2, 45.2 * 0.15);
}

}  // namespace
}  // namespace parallax

namespace parallax {
namespace {

// The memory model's closed-form in-flight counts equal what a walk over the
// generated programs finds (the schedule as it actually runs).
TEST(Inflight, ClosedFormMatchesProgramWalk) {
  struct Case {
    ScheduleKind kind;
    ProgramSchedule program;
    int vpp;
  };
  for (const Case c : {Case{ScheduleKind::kGPipe, ProgramSchedule::kGPipe, 1},
                       Case{ScheduleKind::k1F1B, ProgramSchedule::k1F1B, 1},
                       Case{ScheduleKind::kZbH1, ProgramSchedule::kZbH1, 1},
                       Case{ScheduleKind::kInterleaved, ProgramSchedule::kInterleaved, 2},
                       Case{ScheduleKind::kInterleaved, ProgramSchedule::kInterleaved, 3}}) {
    for (int pp : {2, 3, 4, 8}) {
      for (int m : {1, 2, 3, 4, 8, 16, 24}) {
        if (c.program == ProgramSchedule::kInterleaved && m % pp) continue;
        ParallelConfig p;
        p.pp = pp;
        p.vpp = c.vpp;
        p.schedule = c.kind;
        const auto programs = GeneratePrograms(PipelineSpec(c.program, pp, m, c.vpp));
        for (int s = 0; s < pp; ++s) {
          const double walked = static_cast<double>(CountInFlight(programs[s]).max_activations) / c.vpp;
          EXPECT_DOUBLE_EQ(InflightMicroBatches(p, m, s), walked)
              << NameOf(ScheduleNames(), c.kind) << " pp " << pp << " m " << m << " vpp " << c.vpp << " stage " << s;
        }
      }
    }
  }
}

// The planner's string-free path returns EstimateMemory's peak to the byte,
// over a sweep of models (dense, MoE, MoE every other layer), precisions,
// tp / pp / cp / ep, even and uneven stage maps, ZeRO, SP, recompute,
// schedules, attention kernels and micro-batch sizes.
TEST(EstimatePeakBytes, EqualsTheReportsPeakExactly) {
  int checked = 0;
  for (const char* name : {"gpt-1.3b", "llama3-405b", "mixtral-8x7b", "mixtral-8x7b/2"}) {
    const std::string model = name;
    Job j = MakeJob(model.substr(0, model.find('/')), "dgx-h100", 1, 1, 1, 64, 1, 4096);
    if (model.find('/') != std::string::npos) j.model.moe.layer_frequency = 2;
    const int L = j.model.num_layers;
    for (Precision precision : {Precision::kBf16Mixed, Precision::kAmp, Precision::kFp16Mixed}) {
      for (int tp : {1, 8}) {
        for (int pp : {1, 2, 4, 7}) {
          std::vector<std::vector<int>> maps = {{}};
          if (pp > 1) {  // one layer fewer on the first and last stage, the rest on the others
            std::vector<int> uneven(pp, L / pp);
            int extra = L - pp * (L / pp);
            if (pp > 2) uneven[0]--, uneven[pp - 1]--, extra += 2;
            for (int k = 0; extra > 0; ++k, --extra) uneven[pp > 2 ? 1 + k % (pp - 2) : k % pp]++;
            maps.push_back(uneven);
          }
          for (const auto& map : maps) {
            if (map.empty() && L % pp) continue;
            for (int cp : {1, 2}) {
              for (int zero = 0; zero <= 3; ++zero) {
                for (bool sp : {false, true}) {
                  for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
                    for (ScheduleKind sched : {ScheduleKind::kGPipe, ScheduleKind::k1F1B, ScheduleKind::kZbH1}) {
                      for (int64_t mbs : {1, 4}) {
                        j.training.precision = precision;
                        j.training.micro_batch = mbs;
                        j.parallel.tp = tp, j.parallel.pp = pp, j.parallel.cp = cp, j.parallel.dp = 2;
                        j.parallel.ep = j.model.moe.enabled() ? 2 : 1;
                        j.parallel.zero = zero, j.parallel.sp = sp, j.parallel.recompute = rc;
                        j.parallel.schedule = sched;
                        j.parallel.stage_layers = map;
                        j.parallel.attention = (checked % 2) ? AttentionKernel::kFlash : AttentionKernel::kUnfused;
                        ASSERT_EQ(EstimatePeakBytes(j), EstimateMemory(j).peak_bytes)
                            << model << " tp " << tp << " pp " << pp << " cp " << cp << " zero " << zero;
                        ++checked;
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 10000);
}

}  // namespace
}  // namespace parallax
