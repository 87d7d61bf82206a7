// AdamW with plain-DP and ZeRO-1 gradient/parameter traffic (see optimizer.h).
// The update itself is kernels/cpu's adamw_step, applied per (owned range x
// parameter tensor) piece so weight decay follows the tensor's flag.
#include "runtime/optimizer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace parallax {

std::vector<Range> ParamSharding::owned() const {
  std::vector<Range> r;
  if (zero == 0) {
    r.push_back({0, buckets * bucket_size});
  } else {
    for (int b = 0; b < buckets; ++b) r.push_back(shard(b));
  }
  return r;
}

ParamSharding MakeSharding(int64_t padded_size, int dp, int rank, int zero, int buckets) {
  if (dp < 1 || rank < 0 || rank >= dp) throw std::invalid_argument("MakeSharding: bad dp/rank");
  if (zero != 0 && zero != 1)
    throw std::invalid_argument("MakeSharding: zero must be 0 or 1 on the cpu backend, got " + std::to_string(zero));
  if (buckets < 1 || padded_size % (static_cast<int64_t>(buckets) * dp))
    throw std::invalid_argument("MakeSharding: " + std::to_string(padded_size) + " elements do not split into " +
                                std::to_string(buckets) + " buckets x " + std::to_string(dp) + " shards");
  ParamSharding s;
  s.dp = dp;
  s.rank = rank;
  s.zero = zero;
  s.buckets = buckets;
  s.bucket_size = padded_size / buckets;
  return s;
}

Optimizer::Optimizer(const ModelLayout& layout, const OptimizerConfig& config, const ParamSharding& sharding)
    : layout_(layout), config_(config), sharding_(sharding), owned_(sharding.owned()) {
  int64_t n = 0;
  for (const Range& r : owned_) n += r.size();
  m_.assign(n, 0.0f);
  v_.assign(n, 0.0f);
}

float Optimizer::lr() const {
  const float lr = config_.adamw.lr;
  if (config_.warmup_steps <= 0 || step_ >= config_.warmup_steps) return lr;
  return lr * static_cast<float>(step_ + 1) / static_cast<float>(config_.warmup_steps);
}

void Optimizer::ReduceGrads(Communicator& comm, float* grads, int bucket) {
  const Range b = sharding_.bucket(bucket);
  if (sharding_.zero == 0) {
    comm.all_reduce(grads + b.begin, b.size());
  } else {
    const Range s = sharding_.shard(bucket);
    comm.reduce_scatter(grads + b.begin, grads + s.begin, s.size());
  }
}

void Optimizer::GatherParams(Communicator& comm, float* params, int bucket) {
  const Range b = sharding_.bucket(bucket), s = sharding_.shard(bucket);
  comm.all_gather(params + s.begin, params + b.begin, s.size());
}

double Optimizer::Step(Communicator& comm, float* params, float* grads) {
  double sumsq = 0;
  for (const Range& r : owned_)
    for (int64_t i = r.begin; i < r.end; ++i) sumsq += static_cast<double>(grads[i]) * grads[i];
  if (sharding_.zero != 0) {  // shards are disjoint: add them up
    float total = static_cast<float>(sumsq);
    comm.all_reduce(&total, 1);
    sumsq = total;
  }
  const double norm = std::sqrt(sumsq);
  if (config_.max_grad_norm > 0 && norm > config_.max_grad_norm) {
    const float scale = static_cast<float>(config_.max_grad_norm / (norm + 1e-6));
    for (const Range& r : owned_)
      for (int64_t i = r.begin; i < r.end; ++i) grads[i] *= scale;
  }
  cpu::AdamWConfig cfg = config_.adamw;
  cfg.lr = lr();
  ++step_;
  int64_t state = 0;  // offset of the current range in m_ / v_
  for (const Range& r : owned_) {
    for (const ParamTensor& t : layout_.tensors) {
      const int64_t begin = std::max(r.begin, t.offset), end = std::min(r.end, t.offset + t.size());
      if (begin >= end) continue;
      cpu::AdamWConfig c = cfg;
      if (!t.weight_decay) c.weight_decay = 0;
      const int64_t k = state + (begin - r.begin);
      cpu::adamw_step(params + begin, grads + begin, m_.data() + k, v_.data() + k, end - begin, c, step_);
    }
    state += r.size();
  }
  return norm;
}

}  // namespace parallax
