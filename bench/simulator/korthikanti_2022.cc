// Korthikanti et al. 2022 rows and their jobs; see korthikanti_2022.h.
#include "bench/simulator/korthikanti_2022.h"

#include "bench/simulator/narayanan_2021.h"
#include "core/cluster_io.h"

namespace parallax {

const std::vector<KorthikantiRow>& KorthikantiTable5() {
  // Table 3 (heads, hidden, layers, tp, pp, GPUs, global / micro batch), Table 5
  // (iteration seconds: full recompute, present work), §6.3 (530B, dp 8: 39.15 s).
  static const std::vector<KorthikantiRow> rows = {
      {"22B", 48, 6144, 64, 8, 1, 1, 1, 4, 4, false, 1.42},
      {"22B", 48, 6144, 64, 8, 1, 1, 1, 4, 4, true, 1.10},
      {"175B", 96, 12288, 96, 8, 8, 3, 1, 64, 1, false, 18.13},
      {"175B", 96, 12288, 96, 8, 8, 3, 1, 64, 1, true, 13.75},
      {"530B", 105, 20480, 128, 8, 35, 3, 1, 280, 1, false, 49.05},
      {"530B", 105, 20480, 128, 8, 35, 3, 1, 280, 1, true, 37.83},
      {"1T", 128, 25600, 160, 8, 64, 1, 1, 512, 1, false, 94.42},
      {"1T", 128, 25600, 160, 8, 64, 1, 1, 512, 1, true, 71.49},
      {"530B", 105, 20480, 128, 8, 35, 3, 8, 2240, 1, true, 39.15},
  };
  return rows;
}

Job KorthikantiJob(const KorthikantiRow& r) {
  Job j;
  j.model = Gpt2021Model(r.model, r.layers, r.hidden, r.heads);
  j.cluster = ResolveCluster("dgx-a100-80g");
  j.training = {r.gbs, 2048, r.mbs, Precision::kFp16Mixed};
  ParallelConfig& p = j.parallel;
  p.tp = r.tp;
  p.pp = r.pp;
  p.dp = r.dp;
  ApplyMegatron2021(&j);
  if (r.present_work) {
    p.sp = true;
    p.recompute = Recompute::kSelective;
  }
  p.vpp = r.vpp;
  p.schedule = r.vpp > 1 ? ScheduleKind::kInterleaved : ScheduleKind::k1F1B;
  return j;
}

}  // namespace parallax
