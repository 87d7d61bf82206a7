// Pipeline schedules as generators of per-stage programs (the IR in program.h).
//
// A ScheduleSpec names the schedule (none = plain gradient accumulation, GPipe,
// 1F1B, Megatron's interleaved 1F1B, ZB-H1) and the data-parallel setting; the
// generator returns one Program per pipeline stage with the compute order of
// the schedule (schedule_order.h), the p2p sends/receives between virtual
// stages, the data-parallel gradient reduction / parameter gathers of the ZeRO
// stage, and the optimizer step. Plain ints in, so simulator/ needs no core/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/program.h"

namespace parallax {

// The generator's schedule words. core/config.h's ScheduleKind is the user's
// choice; ProgramScheduleOf maps it (pp = 1 is plain gradient accumulation).
enum class ProgramSchedule { kNone, kGPipe, k1F1B, kInterleaved, kZbH1 };

// "none", "gpipe", "1f1b", "interleaved", "zb-h1" (the CLI's --schedule words).
const char* ProgramScheduleName(ProgramSchedule kind);
// Throws std::invalid_argument naming the accepted words.
ProgramSchedule ParseProgramSchedule(const std::string& name);

struct ScheduleSpec {
  ProgramSchedule kind = ProgramSchedule::k1F1B;
  int pp = 1;                 // pipeline stages
  int vpp = 1;                // model chunks per stage (> 1 only for interleaved)
  int micro_batches = 1;      // m, micro-batches per step (= gradient accumulation)
  int64_t p2p_bytes = 0;      // bytes of one activation / gradient message
  int dp = 1;                 // data-parallel degree (DP ops only if dp > 1)
  int zero_stage = 0;         // 0: all-reduce; 1/2: reduce-scatter + all-gather after the step;
                              // 3: reduce-scatter + all-gather before every F and B
  bool overlap_grad_reduce = false;  // reduce buckets during the last backward of each chunk
  int grad_buckets_per_chunk = 1;    // buckets per chunk (and parts of the split backward)
  int64_t grad_bytes_per_chunk = 0;  // gradient bytes of one chunk on one rank
  int64_t param_bytes_per_chunk = 0; // parameter bytes of one chunk (all-gathered size)
  // ZeRO-3: bytes the stage's first compute needs before it can start (its
  // first layer, with the embedding on stage 0); 0 = the whole chunk.
  int64_t param_bytes_first_gather = 0;
};

// A spec with the pipeline fields set and no data parallelism.
ScheduleSpec PipelineSpec(ProgramSchedule kind, int pp, int micro_batches, int vpp = 1);

// Throws std::invalid_argument with one line naming the field and the rule.
void ValidateScheduleSpec(const ScheduleSpec& spec);

// One program per stage (programs[s].stage == s). Validates the spec first.
std::vector<Program> GeneratePrograms(const ScheduleSpec& spec);

}  // namespace parallax
