// AdamW over the flat fp32 parameters (on the CPU the fp32 parameters are the
// master weights) with global grad-norm clipping, in the two data-parallel
// forms the program IR names:
//   zero 0 (plain DP): AR all-reduces each gradient bucket; every rank clips
//     and updates all parameters, keeping full Adam m and v.
//   zero 1 (ZeRO-1 / distributed optimizer): RS reduce-scatters each bucket so
//     rank r holds the summed gradient of its shard (part r of every bucket);
//     the grad norm is all-reduced from the shards; each rank updates only its
//     shard with m and v of that shard; AG all-gathers the updated parameters.
// The flat buffer is `buckets` equal buckets, each `dp` equal shards
// (BuildLayout pads it to a multiple of dp x buckets). Gradients must already
// be summed-to-mean scaled (the executor scales by 1 / (micro_batches x dp)).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/adamw.h"
#include "runtime/communicator.h"
#include "runtime/model_weights.h"

namespace parallax {

struct OptimizerConfig {
  cpu::AdamWConfig adamw;      // lr, betas, eps, weight decay (matrices only)
  double max_grad_norm = 1.0;  // <= 0: no clipping
  int warmup_steps = 0;        // linear lr warm-up over the first steps
};

struct Range {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};

// Buckets and shards of the flat buffer of `padded_size` elements.
struct ParamSharding {
  int dp = 1, rank = 0, zero = 0, buckets = 1;
  int64_t bucket_size = 0;
  Range bucket(int b) const { return {b * bucket_size, (b + 1) * bucket_size}; }
  Range shard(int b) const {  // this rank's part of bucket b
    const int64_t per = bucket_size / dp;
    return {b * bucket_size + rank * per, b * bucket_size + (rank + 1) * per};
  }
  // What this rank's optimizer updates: everything (zero 0) or its shards.
  std::vector<Range> owned() const;
};
// Throws std::invalid_argument unless padded_size splits into buckets x dp.
ParamSharding MakeSharding(int64_t padded_size, int dp, int rank, int zero, int buckets = 1);

class Optimizer {
 public:
  Optimizer(const ModelLayout& layout, const OptimizerConfig& config, const ParamSharding& sharding);

  // AR (zero 0) or in-place RS (zero 1) of gradient bucket `bucket`.
  void ReduceGrads(Communicator& comm, float* grads, int bucket);
  // Clips the owned gradients by the global norm and applies AdamW to the
  // owned parameters. Returns the norm before clipping.
  double Step(Communicator& comm, float* params, float* grads);
  // Zero 1: in-place AG of parameter bucket `bucket` from every rank's shard.
  void GatherParams(Communicator& comm, float* params, int bucket);

  int step() const { return step_; }
  int64_t state_bytes() const { return 4 * static_cast<int64_t>(m_.size() + v_.size()); }
  float lr() const;  // of the next step

 private:
  const ModelLayout& layout_;
  OptimizerConfig config_;
  ParamSharding sharding_;
  std::vector<Range> owned_;
  std::vector<float> m_, v_;  // concatenated over owned_
  int step_ = 0;
};

}  // namespace parallax
