// Tests' shorthand for a Job: preset model and cluster, bf16-mixed, and the
// split and batch given; everything else at its default.
#pragma once

#include <cstdint>
#include <string>

#include "core/cluster_io.h"
#include "core/config.h"
#include "core/model_io.h"

namespace parallax {

inline Job MakeJob(const std::string& model, const std::string& cluster, int tp, int pp, int dp, int64_t gbs,
                   int64_t mbs, int64_t seq) {
  Job j;
  j.model = ResolveModel(model);
  j.cluster = ResolveCluster(cluster);
  j.training = {gbs, seq, mbs, Precision::kBf16Mixed};
  j.parallel.tp = tp;
  j.parallel.pp = pp;
  j.parallel.dp = dp;
  return j;
}

}  // namespace parallax
