// The configuration flags shared by memory / simulate / plan / run
// (../shared/DESIGN.md "CLI contract"): --model --cluster --gpus --tp --pp
// --dp --cp --ep --vpp --zero --sp --mbs --gbs --seq --recompute --recompute-layers --schedule
// --attention --precision --stage-layers, or --plan plan.json. Parsing only
// collects strings and numbers; BuildJob turns them into a validated Job and
// throws SpecError naming the flag on bad input.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/config.h"

namespace parallax {

struct JobFlags {
  std::string plan;
  std::string model;
  std::string cluster = "dgx-h100";
  int gpus = 0;  // 0: not given
  int tp = 1, pp = 1, dp = 0, cp = 1, ep = 1, vpp = 1, zero = 0, recompute_layers = 0;
  bool sp = false;
  int64_t mbs = 1, gbs = 0, seq = 0;  // 0: derived (gbs = dp x mbs, seq = model max_seq)
  std::string recompute = "none", schedule = "", attention = "flash", precision = "bf16-mixed";
  std::string stage_layers;  // comma-separated layers per stage
};

// Registers the shared flags on a subcommand. `with_parallel` = false leaves
// out the split (tp, pp, ...) for commands that search it (plan).
void AddJobFlags(CLI::App* app, JobFlags& flags, bool with_parallel = true);

// Model, cluster, training and parallel configuration from the flags (or the
// plan file), validated; warnings (e.g. TP across nodes) go to `warnings`.
Job BuildJob(const JobFlags& flags, std::vector<std::string>* warnings = nullptr);

// Enum flag parsing with the allowed values in the error.
template <typename T>
T ParseFlagEnum(const std::string& flag, const std::string& value, const std::vector<std::pair<std::string, T>>& table);

// "7,8,8" -> {7, 8, 8}; errors name --stage-layers.
std::vector<int> ParseLayerList(const std::string& text);

}  // namespace parallax
