// Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
// Transformer Models", MLSys 2023), Tables 3 and 5: four GPT models on Selene
// (dgx-a100-80g), no data parallelism, measured end-to-end iteration times
// with full recompute and with the paper's sequence parallel + selective
// recompute; plus §6.3's 530B at 8-way data parallelism. Shared by the
// benchmark and its regression test. The numbers are quoted from the paper
// (not stored under /work/shared/reference).
#pragma once

#include <vector>

#include "core/config.h"

namespace parallax {

struct KorthikantiRow {
  const char* model;
  int layers;
  int64_t hidden;
  int heads;
  int tp, pp, vpp, dp;
  int64_t gbs, mbs;
  bool present_work;  // sequence parallel + selective recompute; else full recompute
  double measured_s;
};

const std::vector<KorthikantiRow>& KorthikantiTable5();

// The row's job: Megatron-LM of 2022 as the paper ran it (bench/simulator/
// narayanan_2021.h's settings: fp16, unfused attention, blocking pipeline
// exchanges, data-parallel all-reduce after the backward, "we do not use any
// overlapping of gradient all-reduces"), interleaved with vpp 3 for 175B and
// 530B, 1F1B otherwise.
Job KorthikantiJob(const KorthikantiRow& row);

}  // namespace parallax
