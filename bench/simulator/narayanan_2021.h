// Narayanan et al. 2021 (SC'21, "Efficient Large-Scale Language Model Training
// on GPU Clusters Using Megatron-LM"), Table 1: the ten GPT rows (model, tp,
// pp, GPUs, global batch, achieved TFLOP/s per GPU on Selene, dgx-a100-80g)
// and the job each row ran, shared by bench/simulator/narayanan_table1 and
// bench/planner/narayanan_plans so both simulate the same configuration.
// What the table does not state is taken from the paper's text and the
// Megatron-LM of 2021: seq 2048, fp16 mixed precision (16-bit gradients
// all-reduced as they are), full activation recompute, unfused attention (no
// flash attention yet), the data-parallel all-reduce after the whole backward
// (--DDP-impl local), pipeline exchanges that block compute (batch_isend_irecv
// + cuda synchronize), micro-batch 1, interleaved schedule where pp > 2 with
// the smallest vpp >= 2 that divides the layers per stage (Megatron-LM's
// arguments.py asserted pp > 2 for it; 39.1B's pp 2 ran 1F1B).
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.h"

namespace parallax {

struct NarayananRow {
  const char* model;
  int tp, pp, gpus;
  int64_t gbs;
  double paper_tflops;
};

const std::vector<NarayananRow>& NarayananTable1();

// Megatron-LM 2021 as the paper ran it (no ZeRO / distributed optimizer, no
// sequence parallel), on top of `job`'s model and cluster.
void ApplyMegatron2021(Job* job);

// The row's job as described above.
Job NarayananPaperJob(const NarayananRow& row);

// A GPT of the paper's family (LayerNorm, GeLU 4h FFN, learned positions,
// biases, dropout 0.1, tied embeddings, vocab 51200, seq 2048) of this size.
ModelSpec Gpt2021Model(const char* name, int layers, int64_t hidden, int heads);

// §5.4.1 ("Tensor versus Pipeline Parallelism", Figure 13): the 162.2B GPT
// (32 layers, hidden 20480, 128 heads, seq 2048) on 64 GPUs, tp x pp = 64,
// dp 1, micro-batch 1, 1F1B, Megatron-LM 2021's settings. The paper measured
// the peak at tp 8 (the GPUs of one node) for batch 32 and 128.
Job NarayananTpVsPpJob(int tp, int64_t global_batch);

// The paper's FLOPs per step (full recompute counted): 96·B·s·l·h²(1 + s/6h + V/16lh).
double NarayananFlopsPerStep(const Job& job);

}  // namespace parallax
