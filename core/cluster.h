// The machine a plan runs on: GPU, node (NVLink domain), network, and the
// measured or datasheet efficiency tables that the cost model interpolates.
// A datasheet profile gives peak numbers and efficiency fractions; a measured
// profile (parallax profile, or tools/measured_profile.py) adds GEMM and
// collective tables taken on the real machine.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace parallax {

enum class CollectiveOp { kAllReduce, kAllGather, kReduceScatter, kSendRecv, kAllToAll };
const std::vector<std::pair<std::string, CollectiveOp>>& CollectiveOpNames();

struct GpuSpec {
  std::string name;
  int64_t memory_bytes = 0;
  double peak_bf16_flops = 0;  // dense tensor-core peak, FLOP/s
  double peak_fp32_flops = 0;  // non-tensor fp32, FLOP/s
  double hbm_bytes_per_s = 0;  // datasheet memory bandwidth
};

struct LinkSpec {
  std::string name;
  double bytes_per_s = 0;  // per GPU, one direction
  double latency_s = 0;
};

struct GemmPoint {  // one measured bf16 GEMM: C[m,n] = A[m,k] B[k,n]
  int64_t m = 0, n = 0, k = 0;
  double flops_per_s = 0;
};

struct CollectivePoint {
  int64_t bytes = 0;            // message size as nccl-tests counts it
  double bus_bytes_per_s = 0;   // nccl-tests bus bandwidth
};

struct CollectiveCurve {
  CollectiveOp op = CollectiveOp::kAllReduce;
  bool inter_node = false;
  int group_size = 0;
  std::vector<CollectivePoint> points;  // sorted by bytes
};

struct MemoryOverheads {
  int64_t cuda_context_bytes = 0;  // CUDA context + cuBLAS workspace, per GPU
  int64_t nccl_bytes = 0;          // NCCL buffers per communicator
  double fragmentation = 0;        // allocator slack, fraction of allocated bytes
};

struct ClusterSpec {
  std::string name;
  std::string source;  // where the numbers come from
  GpuSpec gpu;
  int gpus_per_node = 0;
  int max_nodes = 0;
  LinkSpec intra_node;  // NVLink / NVSwitch
  LinkSpec inter_node;  // network, per GPU (one NIC per GPU on DGX)
  std::string topology; // "fat-tree" (full bisection) or "single-node"
  double gemm_max_efficiency = 0.8;        // fraction of peak large GEMMs reach
  double memory_bandwidth_efficiency = 0.85;
  double collective_efficiency = 0.8;      // achieved bus bandwidth / link bandwidth
  std::vector<GemmPoint> gemm;             // measured; may be empty
  std::vector<CollectiveCurve> collectives;  // measured; may be empty
  MemoryOverheads overheads;

  int64_t max_gpus() const { return static_cast<int64_t>(gpus_per_node) * max_nodes; }
};

}  // namespace parallax
