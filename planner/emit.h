// Exports of a plan to the frameworks people launch: Megatron-LM
// pretrain_gpt.py arguments, torchtitan's TOML [parallelism] (and
// [activation_checkpoint], [training]) sections, and the ZeRO / batch part of
// a DeepSpeed config. Where a framework cannot express part of the plan the
// output says so in a comment instead of dropping it silently.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config.h"

namespace parallax {

enum class EmitFormat { kMegatron, kTorchtitan, kDeepspeed };
const std::vector<std::pair<std::string, EmitFormat>>& EmitFormatNames();  // megatron, torchtitan, deepspeed

std::string EmitMegatron(const Job& job);
std::string EmitTorchtitan(const Job& job);
std::string EmitDeepspeed(const Job& job);  // JSON text
std::string Emit(EmitFormat format, const Job& job);

}  // namespace parallax
