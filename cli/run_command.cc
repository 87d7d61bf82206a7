// `parallax run --backend cpu`: the shared job flags (--model, --dp, --zero,
// --mbs, --gbs, --seq, ...) plus --steps, --data synthetic|FILE, --lr,
// --warmup, --seed, --buckets, --json. The CPU backend runs pp x dp
// thread-ranks with any --schedule (gpipe, 1f1b, interleaved with --vpp,
// zb-h1) and zero 0 or 1; tp, cp, ep > 1 and zero 2/3 are a one-line SpecError
// (exit 2).
// Step lines go to stdout (stderr with --json, whose object is the `run` keys
// of the design's CLI contract, `measured` part, alone on stdout: stdout_result.h).
#include "cli/run_command.h"

#include <algorithm>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#ifdef PARALLAX_HAVE_GPU
#include "cli/run_gpu_command.h"
#endif

#include "cli/job_flags.h"
#include "cli/stdout_result.h"
#include "core/errors.h"
#include "runtime/data.h"
#include "runtime/trainer.h"
#include "simulator/schedule.h"

namespace parallax {
namespace {

struct RunFlags {
  JobFlags job;
  std::string backend = "cpu";
  std::string data = "synthetic";
  int steps = 20;
  double lr = 1e-3;
  int warmup = 0;
  uint64_t seed = 1234;
  int buckets = 1;
  bool json = false;
  std::string trace;
};

void RequireOne(const char* flag, int value) {
  if (value != 1)
    throw SpecError(std::string(flag) + ": the cpu backend runs " + (flag + 2) + " = 1 only, got " +
                    std::to_string(value));
}

void Run(const RunFlags& f) {
#ifdef PARALLAX_HAVE_GPU
  if (f.backend == "gpu") {
    GpuRunFlags g;
    g.steps = f.steps, g.lr = f.lr, g.seed = f.seed, g.json = f.json, g.plan = f.job.plan, g.trace = f.trace;
    const int rc = RunGpuBackend(BuildJob(f.job), g);
    if (rc) std::exit(rc);
    return;
  }
  constexpr const char* kBackends = "cpu, gpu";
#else
  constexpr const char* kBackends = "cpu";
#endif
  if (f.backend != "cpu")
    throw SpecError("--backend: \"" + f.backend + "\" is not available in this build (allowed: " + kBackends + ")");
  if (f.steps < 1) throw SpecError("--steps: must be >= 1, got " + std::to_string(f.steps));
  if (!f.trace.empty()) throw SpecError("--trace: the cpu backend does not write a trace (gpu backend only)");
  if (f.buckets < 1) throw SpecError("--buckets: must be >= 1, got " + std::to_string(f.buckets));
  if (!(f.lr >= 0)) throw SpecError("--lr: must be >= 0");
  if (f.warmup < 0) throw SpecError("--warmup: must be >= 0");
  const Job job = BuildJob(f.job);
  const ParallelConfig& p = job.parallel;
  RequireOne("--tp", p.tp);
  RequireOne("--cp", p.cp);
  RequireOne("--ep", p.ep);
  if (p.zero > 1) throw SpecError("--zero: the cpu backend runs zero 0 or 1, got " + std::to_string(p.zero));

  TrainConfig c;
  c.model = job.model;
  c.dp = p.dp;
  c.pp = p.pp;
  c.vpp = p.vpp;
  c.schedule = ParseProgramSchedule(NameOf(ScheduleNames(), p.schedule));
  if (!p.stage_layers.empty()) {
    if (p.vpp > 1) throw SpecError("--stage-layers: the cpu backend takes it with vpp = 1 only");
    c.layers_per_stage = p.stage_layers;
  }
  c.zero = p.zero;
  c.micro_batch = static_cast<int>(job.training.micro_batch);
  c.micro_batches = static_cast<int>(job.micro_batches());
  c.seq = static_cast<int>(job.training.seq);
  c.steps = f.steps;
  c.buckets = f.buckets;
  c.seed = f.seed;
  c.optimizer.adamw.lr = static_cast<float>(f.lr);
  c.optimizer.warmup_steps = f.warmup;
  c.log = f.json ? &std::cerr : &std::cout;
  StdoutResult result(f.json);  // with --json only the result reaches stdout
  const TokenData data = OpenTokenData(f.data, job.model.vocab, f.seed);
  if (!f.json)
    std::cout << "cpu run: " << job.model.name << ", pp " << c.pp << " (" << ProgramScheduleName(c.schedule)
              << (c.vpp > 1 ? ", vpp " + std::to_string(c.vpp) : "") << ") x dp " << c.dp << ", zero " << c.zero << ", mbs " << c.micro_batch
              << " x " << c.micro_batches << " micro-batches, seq " << c.seq << ", data " << data.name
              << " (fp32; precision flags do not apply)\n";
  const TrainResult r = Train(c, data);

  // Steady-state step time: mean over the steps after the first (warm-up).
  double time_s = 0;
  const size_t first = r.steps.size() > 1 ? 1 : 0;
  for (size_t i = first; i < r.steps.size(); ++i) time_s += r.steps[i].time_s;
  time_s /= static_cast<double>(r.steps.size() - first);
  const double tokens_per_s = r.tokens_per_step / time_s;
  const double mfu = CountFlops(c.model, c.seq).model_per_token() * tokens_per_s / r.peak_flops_per_s;
  if (f.json) {
    nlohmann::json ranks = nlohmann::json::array(), steps = nlohmann::json::array();
    for (size_t i = 0; i < r.rank_peak_bytes.size(); ++i)
      ranks.push_back({{"rank", i}, {"peak_bytes", r.rank_peak_bytes[i]}});
    for (const StepStats& s : r.steps)
      steps.push_back({{"step", s.step}, {"loss", s.loss}, {"grad_norm", s.grad_norm}, {"time_s", s.time_s}});
    nlohmann::json out = {{"backend", "cpu"},
                          {"measured",
                           {{"step_time_s", time_s},
                            {"tokens_per_s", tokens_per_s},
                            {"mfu", mfu},
                            {"peak_flops_per_s", r.peak_flops_per_s},
                            {"ranks", ranks},
                            {"peak_bytes", *std::max_element(r.rank_peak_bytes.begin(), r.rank_peak_bytes.end())},
                            {"loss", r.steps.back().loss},
                            {"steps", steps}}}};
    result.Print(out.dump(2));
  } else {
    std::printf("mean step %.1f ms | %.0f tokens/s | MFU %.1f%% of the measured CPU GEMM rate (%.2f GFLOP/s) | final loss %.4f\n",
                time_s * 1e3, tokens_per_s, 100 * mfu, r.peak_flops_per_s / 1e9, r.steps.back().loss);
  }
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  auto* run = app.add_subcommand("run", "execute a configuration (--backend cpu: fp32 training, one CPU thread per rank)");
  AddJobFlags(run, flags->job);
  run->add_option("--backend", flags->backend, "cpu (fp32, one CPU thread per pp x dp rank) or gpu (CUDA builds: bf16-mixed GPT, one process per GPU, DP / ZeRO-1)")
      ->capture_default_str();
  run->add_option("--data", flags->data, "synthetic, a text file (bytes, vocab 256) or FILE.bin (uint16 tokens)")
      ->capture_default_str();
  run->add_option("--steps", flags->steps, "optimizer steps")->capture_default_str();
  run->add_option("--lr", flags->lr, "AdamW learning rate")->capture_default_str();
  run->add_option("--warmup", flags->warmup, "linear warm-up steps")->capture_default_str();
  run->add_option("--seed", flags->seed, "seed of the initial parameters and the data windows")->capture_default_str();
  run->add_option("--buckets", flags->buckets, "gradient buckets (DP collectives per step)")->capture_default_str();
  run->add_flag("--json", flags->json, "print JSON alone on stdout (step lines and logs go to stderr)");
  run->add_option("--trace", flags->trace, "gpu backend: Chrome trace (Perfetto) of the measured steps, per op and NCCL collective");
  run->callback([flags] { Run(*flags); });
}

}  // namespace parallax
