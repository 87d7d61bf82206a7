// One training step of a Job, simulated: the schedule's per-stage programs
// (schedule.h) timed on the cost graph (cost_graph.h) with durations from the
// cost model (cost_model.h). One data-parallel replica is simulated (all DP
// replicas run the same programs in lock step); DP collectives are costed on
// the dp group's links. Gives step time, throughput, MFU / HFU, the pipeline
// bubble, a breakdown of the critical stage's time by kind, and the timeline
// for traces. Also a fast lower bound for the planner's branch and bound.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "simulator/cost_graph.h"
#include "simulator/cost_model.h"
#include "simulator/program.h"

namespace parallax {

// Seconds of the critical stage's step, by kind; they add up to step_time_s.
struct StepBreakdown {
  double compute_s = 0;           // forward + backward GEMMs, attention, memory-bound ops, launch overhead
  double recompute_s = 0;         // recomputed forward work in the backward (incl. its TP comm)
  double tp_comm_s = 0;           // tensor-parallel collectives inside F/B (not overlapped)
  double cp_comm_s = 0;           // context-parallel exchange not hidden behind attention
  double ep_comm_s = 0;           // expert-parallel all-to-all
  double pp_comm_s = 0;           // exposed: compute waiting for an activation/gradient transfer
  double dp_comm_s = 0;           // exposed: compute waiting for / step ending on DP collectives
  double bubble_s = 0;            // compute stream idle waiting for other stages
  double optimizer_s = 0;         // optimizer step
  double step_overhead_s = 0;     // CostParams::step_overhead_s
  double total_s() const;
  // Name -> seconds, for JSON and tables ("compute", "recompute", "tp_comm", ...).
  std::map<std::string, double> ByName() const;
};

// Payloads of one job's messages. The programs' structure is shared by all
// jobs with the same schedule (Simulate caches it); their byte counts are not.
struct MessageBytes {
  int64_t p2p = 0;                   // every send/receive: one micro-batch's activation (or its gradient)
  int grad_buckets_per_chunk = 1;    // a chunk's gradients / parameters split into this many buckets
  std::vector<int64_t> grad, param;  // per stage: one chunk's gradient / parameter bytes
  std::vector<int64_t> param_first;  // per stage: ZeRO-3's first gather (ScheduleSpec::param_bytes_first_gather)
  // This job's payload of `in` on `stage` (p2p and DP instructions; else in.bytes).
  int64_t Of(int stage, const Instruction& in) const;
};

struct SimResult {
  double step_time_s = 0;
  double tokens_per_s = 0;
  double model_flops = 0;     // per step, all GPUs: CountFlops x tokens (Narayanan convention, no recompute)
  double hardware_flops = 0;  // per step, all GPUs: + recomputed forward work
  double mfu = 0;             // model_flops / (step x gpus x peak_bf16)
  double hfu = 0;             // hardware_flops / (step x gpus x peak_bf16)
  // Bubble time / step time on the critical stage (share of the step, not of
  // ideal compute; (p-1)/(m+p-1) for 1F1B with free communication).
  double bubble_fraction = 0;
  int critical_stage = 0;     // stage with the most busy compute-stream time
  StepBreakdown breakdown;
  int dp_replicas = 1;        // DP replicas the one simulated replica stands for
  std::string note;           // "one data-parallel replica simulated (dp = N)"
  // The programs that were timed, without copying them: their structure is
  // shared with Simulate's cache (bytes as first generated), `bytes` gives
  // this job's payloads; ProgramOf / Programs put the two together.
  std::shared_ptr<const std::vector<Program>> structure;
  MessageBytes bytes;
  Timeline timeline;  // start/end per instruction
  int num_stages() const { return structure ? static_cast<int>(structure->size()) : 0; }
  Program ProgramOf(int stage) const;  // stage's program with this job's bytes
  std::vector<Program> Programs() const;
};

// Drops the cached program structures (results keep theirs alive).
void ClearSimulateCache();

// Throws SpecError if the job is invalid (ValidateJob).
SimResult Simulate(const Job& job, const CostParams& params = {});

// Step time no schedule can beat, without building the graph: for each stage
// b, its compute stream cannot start before micro-batch 0's forward of chunk 0
// has passed stages 0..b-1 (their F durations and b p2p transfers), and then
// must run all of its own compute (m micro-batches' F + recompute + B of every
// chunk, in-layer TP/CP/EP comm included) and its optimizer step; the bound is
// the maximum over b, plus step_overhead_s. Never exceeds Simulate's step time
// (simulate_test checks it on a sweep).
double EstimateStepTimeLowerBound(const Job& job, const CostParams& params = {});

}  // namespace parallax
