// Narayanan et al. 2021 Table 1 rows and their jobs; see narayanan_2021.h.
#include "bench/simulator/narayanan_2021.h"

#include "core/cluster_io.h"
#include "core/model_io.h"

namespace parallax {

const std::vector<NarayananRow>& NarayananTable1() {
  static const std::vector<NarayananRow> rows = {
      {"narayanan-1.7b", 1, 1, 32, 512, 137},      {"narayanan-3.6b", 2, 1, 64, 512, 138},
      {"narayanan-7.5b", 4, 1, 128, 512, 142},     {"narayanan-18.4b", 8, 1, 256, 1024, 135},
      {"narayanan-39.1b", 8, 2, 512, 1536, 138},   {"narayanan-76.1b", 8, 4, 1024, 1792, 140},
      {"narayanan-145.6b", 8, 8, 1536, 2304, 148}, {"narayanan-310.1b", 8, 16, 1920, 2160, 155},
      {"narayanan-529.6b", 8, 35, 2520, 2520, 163}, {"narayanan-1t", 8, 64, 3072, 3072, 163},
  };
  return rows;
}

void ApplyMegatron2021(Job* job) {
  job->training.precision = Precision::kFp16Mixed;
  ParallelConfig& p = job->parallel;
  p.recompute = Recompute::kFull;
  p.attention = AttentionKernel::kUnfused;
  p.overlap_grad_reduce = false;
  p.overlap_p2p = false;
  p.zero = 0;
  p.sp = false;
  p.cp = 1;
}

Job NarayananPaperJob(const NarayananRow& r) {
  Job j;
  j.model = ResolveModel(r.model);
  j.cluster = ResolveCluster("dgx-a100-80g");
  j.training = {r.gbs, 2048, 1, Precision::kFp16Mixed};
  ParallelConfig& p = j.parallel;
  p.tp = r.tp;
  p.pp = r.pp;
  p.dp = r.gpus / (r.tp * r.pp);
  ApplyMegatron2021(&j);
  if (r.pp > 2) {  // Megatron-LM asserted pp > 2 for the interleaved schedule
    const int per_stage = j.model.num_layers / r.pp;
    p.schedule = ScheduleKind::kInterleaved;
    p.vpp = 1;
    for (int v = 2; v <= per_stage && p.vpp == 1; ++v)
      if (per_stage % v == 0) p.vpp = v;
  }
  return j;
}

ModelSpec Gpt2021Model(const char* name, int layers, int64_t hidden, int heads) {
  ModelSpec m = ResolveModel("narayanan-18.4b");  // the family's layer: LayerNorm, GeLU 4h, biases, tied embeddings
  m.name = name;
  m.num_layers = layers;
  m.hidden = hidden;
  m.heads = m.kv_heads = heads;
  m.head_dim = hidden / heads;
  m.ffn_hidden = 4 * hidden;
  return m;
}

Job NarayananTpVsPpJob(int tp, int64_t global_batch) {
  Job j;
  j.model = Gpt2021Model("narayanan-162.2b", 32, 20480, 128);
  j.cluster = ResolveCluster("dgx-a100-80g");
  j.training = {global_batch, 2048, 1, Precision::kFp16Mixed};
  j.parallel.tp = tp;
  j.parallel.pp = 64 / tp;
  j.parallel.dp = 1;
  ApplyMegatron2021(&j);
  return j;
}

double NarayananFlopsPerStep(const Job& j) {
  const double B = j.training.global_batch, s = j.training.seq, l = j.model.num_layers, h = j.model.hidden,
               V = j.model.vocab;
  return 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
}

}  // namespace parallax
