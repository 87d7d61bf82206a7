// Words for the ranking: a compact label of a configuration, what differs
// between two configurations, and why the best plan beats the next distinct
// ones — the terms of the simulated breakdown (compute, bubble, tp / dp / pp
// communication, ...) that differ most.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "planner/search.h"

namespace parallax {

// "tp 8, pp 16 [7,8x14,7], dp 128, mbs 1, zero 1, sp, selective, 1f1b"
std::string ConfigLabel(const Job& job);
// Short stage map: "8x16", "7,8x14,7".
std::string StageMapLabel(const Job& job);
// {"pp 16 -> 8", "mbs 1 -> 2", ...}: fields of b that differ from a.
std::vector<std::string> ConfigDifferences(const Job& a, const Job& b);

// One line per next distinct plan (up to `max_plans`): how much slower and
// which breakdown terms account for it.
std::vector<std::string> ExplainRanking(const std::vector<RankedPlan>& plans, int max_plans = 3);

}  // namespace parallax
