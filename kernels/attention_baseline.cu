// The run-2 flash-attention kernels (64-row forward tiles, 64-key backward
// blocks, masking on every tile, two barriers per tile), kept unchanged as
// variant "run2" so that kernels_bench prints the speed-up over them in the same
// run and attention_test keeps checking them. The tuned kernels are in
// attention.cu; see there for the algorithm.
#include "kernels/attention.h"
#include "kernels/attention_common.cuh"
#include "kernels/attention_variants.h"

#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "kernels/check.h"

namespace parallax::gpu::attn_detail {
namespace {

// ---------------------------------------------------------------- forward

constexpr int kFwdRows = 64;  // query rows per block (4 warps x 16)
constexpr int kKeys = 64;     // keys per tile

template <int D>
struct FwdSmem {
  static constexpr int P = D + 8;  // row pitch (16-byte rows, conflict-free ldmatrix)
  static constexpr int stage = 2 * kKeys * P;  // K then V, bf16 elements
  static constexpr size_t bytes = size_t(2) * stage * 2;  // two stages
};

template <int D>
__global__ void __launch_bounds__(128)
    flash_fwd_kernel(const bf16* __restrict q, const bf16* __restrict k,
                     const bf16* __restrict v, bf16* __restrict out, float* __restrict lse,
                     int seq, int q_heads, int kv_heads, float scale_log2) {
  using L = FwdSmem<D>;
  constexpr int P = L::P;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* sm = reinterpret_cast<bf16*>(smem_raw);

  const int qb = gridDim.x - 1 - blockIdx.x;  // heaviest (longest) blocks first
  const int h = blockIdx.y, b = blockIdx.z, hk = h / (q_heads / kv_heads);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const size_t qs = size_t(q_heads) * D, ks = size_t(kv_heads) * D;
  const bf16* qg = q + size_t(b) * seq * qs + size_t(h) * D;
  const bf16* kg = k + size_t(b) * seq * ks + size_t(hk) * D;
  const bf16* vg = v + size_t(b) * seq * ks + size_t(hk) * D;
  const int row0 = qb * kFwdRows + warp * 16;
  const int ra = row0 + g, rb = row0 + g + 8;
  const int n_tiles = qb + 1;  // causal: key tiles 0..qb (tile size = row block size)

  auto issue = [&](int j) {
    bf16* st = sm + (j & 1) * L::stage;
    load_rows_async<D>(st, P, kg, ks, j * kKeys, kKeys, seq);
    load_rows_async<D>(st + kKeys * P, P, vg, ks, j * kKeys, kKeys, seq);
  };
  issue(0);
  cp_async_commit();

  uint32_t qf[D / 16][4];
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    const int c = kk * 16 + 2 * t;
    qf[kk][0] = ra < seq ? ld32(qg + ra * qs + c) : 0u;
    qf[kk][1] = rb < seq ? ld32(qg + rb * qs + c) : 0u;
    qf[kk][2] = ra < seq ? ld32(qg + ra * qs + c + 8) : 0u;
    qf[kk][3] = rb < seq ? ld32(qg + rb * qs + c + 8) : 0u;
  }
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};

  for (int j = 0; j < n_tiles; ++j) {
    if (j + 1 < n_tiles) issue(j + 1);  // prefetch the next tile into the other stage
    cp_async_commit();
    cp_async_wait_1();  // tile j has landed (only the newest group may be in flight)
    __syncthreads();
    const bf16* k_s = sm + (j & 1) * L::stage;
    const bf16* v_s = k_s + kKeys * P;

    float s[kKeys / 8][4];
#pragma unroll
    for (int nt = 0; nt < kKeys / 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
#pragma unroll
      for (int nt = 0; nt < kKeys / 8; nt += 2) {
        uint32_t bf[4];
        load_b_nmajor(bf, k_s + nt * 8 * P + kk * 16, P, lane);
        mma16816(s[nt], qf[kk], bf[0], bf[1]);
        mma16816(s[nt + 1], qf[kk], bf[2], bf[3]);
      }
    // Scale into the log2 domain, mask future keys and keys past the end.
    float mx[2] = {m[0], m[1]};
#pragma unroll
    for (int nt = 0; nt < kKeys / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = j * kKeys + nt * 8 + 2 * t + (e & 1);
        const int row = e < 2 ? ra : rb;
        s[nt][e] = (key > row || key >= seq) ? -INFINITY : s[nt][e] * scale_log2;
        mx[e / 2] = fmaxf(mx[e / 2], s[nt][e]);
      }
    float alpha[2], msafe[2], rsum[2] = {0.0f, 0.0f};
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
      msafe[r] = mx[r] == -INFINITY ? 0.0f : mx[r];
      alpha[r] = exp2f(m[r] - msafe[r]);
      m[r] = mx[r];
    }
#pragma unroll
    for (int nt = 0; nt < kKeys / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[nt][e] = exp2f(s[nt][e] - msafe[e / 2]);
        rsum[e / 2] += s[nt][e];
      }
#pragma unroll
    for (int r = 0; r < 2; ++r) l[r] = l[r] * alpha[r] + rsum[r];
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      o[dt][0] *= alpha[0];
      o[dt][1] *= alpha[0];
      o[dt][2] *= alpha[1];
      o[dt][3] *= alpha[1];
    }
    // O += P V: the C fragments of two adjacent 8-key tiles form P's A fragment.
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; ++kk) {
      uint32_t pa[4];
      c_to_a(pa, s[2 * kk], s[2 * kk + 1]);
#pragma unroll
      for (int dt = 0; dt < D / 8; dt += 2) {
        uint32_t bf[4];
        load_b_kmajor(bf, v_s + kk * 16 * P + dt * 8, P, lane);
        mma16816(o[dt], pa, bf[0], bf[1]);
        mma16816(o[dt + 1], pa, bf[2], bf[3]);
      }
    }
    __syncthreads();  // stage j & 1 is refilled by the next iteration's prefetch
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
  }
  const float inv_a = 1.0f / l[0], inv_b = 1.0f / l[1];
  bf16* og = out + size_t(b) * seq * qs + size_t(h) * D;
#pragma unroll
  for (int dt = 0; dt < D / 8; ++dt) {
    const int c = dt * 8 + 2 * t;
    if (ra < seq)
      *reinterpret_cast<uint32_t*>(og + ra * qs + c) = pack_bf16(o[dt][0] * inv_a, o[dt][1] * inv_a);
    if (rb < seq)
      *reinterpret_cast<uint32_t*>(og + rb * qs + c) = pack_bf16(o[dt][2] * inv_b, o[dt][3] * inv_b);
  }
  if (t == 0) {
    float* lg = lse + (size_t(b) * q_heads + h) * seq;
    if (ra < seq) lg[ra] = (m[0] + log2f(l[0])) * kLn2;
    if (rb < seq) lg[rb] = (m[1] + log2f(l[1])) * kLn2;
  }
}

// ---------------------------------------------------------------- backward

constexpr int kBwdKeys = 64;  // keys per block (4 warps x 16)
constexpr int kBwdRows = 32;  // query rows per tile

template <int D>
struct BwdSmem {
  static constexpr int RP = D + 8;          // pitch of row-major [rows][D] tiles
  static constexpr int SP = kBwdKeys + 8;   // pitch of ds [32][64]
  static constexpr int k = 0;                          // [64][RP]
  static constexpr int v = k + kBwdKeys * RP;          // [64][RP]
  static constexpr int ds = v + kBwdKeys * RP;         // [32][SP]
  static constexpr int stage0 = ds + kBwdRows * SP;    // two stages of q [32][RP], dO [32][RP]
  static constexpr int stage = 2 * kBwdRows * RP;
  static constexpr int end = stage0 + 2 * stage;       // bf16 elements
  static constexpr size_t bytes = size_t(end) * 2 + 2 * 2 * kBwdRows * sizeof(float);
};

template <int D>
__global__ void __launch_bounds__(128)
    flash_bwd_kernel(const bf16* __restrict dout, const bf16* __restrict q,
                     const bf16* __restrict k, const bf16* __restrict v,
                     const float* __restrict lse, const float* __restrict delta,
                     float* __restrict dq_acc, bf16* __restrict dk, bf16* __restrict dv, int seq,
                     int q_heads, int kv_heads, float scale) {
  using L = BwdSmem<D>;
  constexpr int RP = L::RP, SP = L::SP;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* sm = reinterpret_cast<bf16*>(smem_raw);
  float* stats = reinterpret_cast<float*>(sm + L::end);  // [2 stages][lse 32 | delta 32]

  const int kb = blockIdx.x, hk = blockIdx.y, b = blockIdx.z;
  const int group = q_heads / kv_heads;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const size_t qs = size_t(q_heads) * D, ks = size_t(kv_heads) * D;
  const int key0 = kb * kBwdKeys;
  const float scale_log2 = scale * kLog2e;

  const bf16* kg = k + size_t(b) * seq * ks + size_t(hk) * D;
  const bf16* vg = v + size_t(b) * seq * ks + size_t(hk) * D;
  load_rows_async<D>(sm + L::k, RP, kg, ks, key0, kBwdKeys, seq);
  load_rows_async<D>(sm + L::v, RP, vg, ks, key0, kBwdKeys, seq);

  // Work items: (q head of the group, query tile) from the diagonal down.
  const int q_first = key0 / kBwdRows;
  const int n_q = (seq + kBwdRows - 1) / kBwdRows - q_first;
  const int n_items = group * n_q;
  auto issue = [&](int item) {
    const int h = hk * group + item / n_q, q0 = (q_first + item % n_q) * kBwdRows;
    bf16* st = sm + L::stage0 + (item & 1) * L::stage;
    const size_t off = size_t(b) * seq * qs + size_t(h) * D;
    load_rows_async<D>(st, RP, q + off, qs, q0, kBwdRows, seq);
    load_rows_async<D>(st + kBwdRows * RP, RP, dout + off, qs, q0, kBwdRows, seq);
    if (threadIdx.x < kBwdRows) {
      const int i = q0 + threadIdx.x;
      const size_t r = (size_t(b) * q_heads + h) * seq + i;
      float* sst = stats + (item & 1) * 2 * kBwdRows;
      sst[threadIdx.x] = i < seq ? lse[r] * kLog2e : 0.0f;
      sst[kBwdRows + threadIdx.x] = i < seq ? delta[r] : 0.0f;
    }
  };
  issue(0);
  cp_async_commit();  // group 0: K, V and the first q / dO tile

  float dk_acc[D / 8][4], dv_acc[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk_acc[i][e] = dv_acc[i][e] = 0.0f;

  const int wkey = warp * 16;  // this warp's keys within the block
  const int key_a = key0 + wkey + g, key_b = key_a + 8;

  for (int item = 0; item < n_items; ++item) {
    if (item + 1 < n_items) issue(item + 1);
    cp_async_commit();
    cp_async_wait_1();
    __syncthreads();
    const int h = hk * group + item / n_q, q0 = (q_first + item % n_q) * kBwdRows;
    const bf16* q_s = sm + L::stage0 + (item & 1) * L::stage;
    const bf16* do_s = q_s + kBwdRows * RP;
    const float* lse_s = stats + (item & 1) * 2 * kBwdRows;
    const float* delta_s = lse_s + kBwdRows;

    // S^T = K Q^T and dP^T = V dO^T for this warp's 16 keys x 32 queries.
    float st[kBwdRows / 8][4], dpt[kBwdRows / 8][4];
#pragma unroll
    for (int nt = 0; nt < kBwdRows / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) st[nt][e] = dpt[nt][e] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t ka[4], va[4];
      load_a(ka, sm + L::k + wkey * RP + kk * 16, RP, lane);
      load_a(va, sm + L::v + wkey * RP + kk * 16, RP, lane);
#pragma unroll
      for (int nt = 0; nt < kBwdRows / 8; nt += 2) {
        uint32_t bf[4];
        load_b_nmajor(bf, q_s + nt * 8 * RP + kk * 16, RP, lane);
        mma16816(st[nt], ka, bf[0], bf[1]);
        mma16816(st[nt + 1], ka, bf[2], bf[3]);
        load_b_nmajor(bf, do_s + nt * 8 * RP + kk * 16, RP, lane);
        mma16816(dpt[nt], va, bf[0], bf[1]);
        mma16816(dpt[nt + 1], va, bf[2], bf[3]);
      }
    }
    // P^T = exp(scale S^T - lse), masked; dS^T = P^T (dP^T - delta) * scale.
#pragma unroll
    for (int nt = 0; nt < kBwdRows / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int qi = nt * 8 + 2 * t + (e & 1);
        const int key = e < 2 ? key_a : key_b;
        const bool live = key <= q0 + qi && q0 + qi < seq && key < seq;
        const float p = live ? exp2f(st[nt][e] * scale_log2 - lse_s[qi]) : 0.0f;
        st[nt][e] = p;
        dpt[nt][e] = p * (dpt[nt][e] - delta_s[qi]) * scale;
      }
    // dV += P^T dO, dK += dS^T Q (A operands straight from the C fragments).
#pragma unroll
    for (int kk = 0; kk < kBwdRows / 16; ++kk) {
      uint32_t pa[4];
      c_to_a(pa, st[2 * kk], st[2 * kk + 1]);
      uint32_t da[4];
      c_to_a(da, dpt[2 * kk], dpt[2 * kk + 1]);
#pragma unroll
      for (int dt = 0; dt < D / 8; dt += 2) {
        uint32_t bf[4];
        load_b_kmajor(bf, do_s + kk * 16 * RP + dt * 8, RP, lane);
        mma16816(dv_acc[dt], pa, bf[0], bf[1]);
        mma16816(dv_acc[dt + 1], pa, bf[2], bf[3]);
        load_b_kmajor(bf, q_s + kk * 16 * RP + dt * 8, RP, lane);
        mma16816(dk_acc[dt], da, bf[0], bf[1]);
        mma16816(dk_acc[dt + 1], da, bf[2], bf[3]);
      }
    }
    // dS (query-major) to smem for dQ = dS K.
    bf16* ds_s = sm + L::ds;
#pragma unroll
    for (int nt = 0; nt < kBwdRows / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int qi = nt * 8 + 2 * t + (e & 1);
        const int kl = wkey + g + (e < 2 ? 0 : 8);
        ds_s[qi * SP + kl] = __float2bfloat16_rn(dpt[nt][e]);
      }
    __syncthreads();
    // dQ tile [32 x D]: warp w takes query rows (w % 2) * 16, columns (w / 2) * D / 2.
    {
      const int qr = (warp % 2) * 16, dc = (warp / 2) * (D / 2);
      float dq[D / 16][4];
#pragma unroll
      for (int nt = 0; nt < D / 16; ++nt) dq[nt][0] = dq[nt][1] = dq[nt][2] = dq[nt][3] = 0.0f;
#pragma unroll
      for (int kk = 0; kk < kBwdKeys / 16; ++kk) {
        uint32_t a[4];
        load_a(a, ds_s + qr * SP + kk * 16, SP, lane);
#pragma unroll
        for (int nt = 0; nt < D / 16; nt += 2) {
          uint32_t bf[4];
          load_b_kmajor(bf, sm + L::k + kk * 16 * RP + dc + nt * 8, RP, lane);
          mma16816(dq[nt], a, bf[0], bf[1]);
          mma16816(dq[nt + 1], a, bf[2], bf[3]);
        }
      }
      float* dqg = dq_acc + size_t(b) * seq * qs + size_t(h) * D;
      const int qa = q0 + qr + g, qb = qa + 8;
#pragma unroll
      for (int nt = 0; nt < D / 16; ++nt) {
        const int c = dc + nt * 8 + 2 * t;
        if (qa < seq) {
          atomicAdd(dqg + qa * qs + c, dq[nt][0]);
          atomicAdd(dqg + qa * qs + c + 1, dq[nt][1]);
        }
        if (qb < seq) {
          atomicAdd(dqg + qb * qs + c, dq[nt][2]);
          atomicAdd(dqg + qb * qs + c + 1, dq[nt][3]);
        }
      }
    }
    __syncthreads();  // ds_s and this stage are rewritten next
  }

  bf16* dkg = dk + size_t(b) * seq * ks + size_t(hk) * D;
  bf16* dvg = dv + size_t(b) * seq * ks + size_t(hk) * D;
#pragma unroll
  for (int dt = 0; dt < D / 8; ++dt) {
    const int c = dt * 8 + 2 * t;
    if (key_a < seq) {
      *reinterpret_cast<uint32_t*>(dkg + key_a * ks + c) = pack_bf16(dk_acc[dt][0], dk_acc[dt][1]);
      *reinterpret_cast<uint32_t*>(dvg + key_a * ks + c) = pack_bf16(dv_acc[dt][0], dv_acc[dt][1]);
    }
    if (key_b < seq) {
      *reinterpret_cast<uint32_t*>(dkg + key_b * ks + c) = pack_bf16(dk_acc[dt][2], dk_acc[dt][3]);
      *reinterpret_cast<uint32_t*>(dvg + key_b * ks + c) = pack_bf16(dv_acc[dt][2], dv_acc[dt][3]);
    }
  }
}

template <int D>
void launch_bwd(const bf16* dout, const bf16* q, const bf16* k, const bf16* v, const float* lse,
                const float* delta, float* dq_acc, bf16* dk, bf16* dv, const AttentionShape& s,
                cudaStream_t stream) {
  const size_t smem = BwdSmem<D>::bytes;
  CUDA_CHECK(cudaFuncSetAttribute(flash_bwd_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(smem)));
  const dim3 grid((s.seq + kBwdKeys - 1) / kBwdKeys, s.kv_heads, s.batch);
  flash_bwd_kernel<D><<<grid, 128, smem, stream>>>(dout, q, k, v, lse, delta, dq_acc, dk, dv,
                                                   s.seq, s.q_heads, s.kv_heads,
                                                   1.0f / std::sqrt(float(D)));
  CUDA_CHECK_LAUNCH();
}

template <int D>
void launch_fwd(const bf16* q, const bf16* k, const bf16* v, const AttentionShape& s, bf16* out,
                float* lse, cudaStream_t stream) {
  const size_t smem = FwdSmem<D>::bytes;
  CUDA_CHECK(cudaFuncSetAttribute(flash_fwd_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(smem)));
  const dim3 grid((s.seq + kFwdRows - 1) / kFwdRows, s.q_heads, s.batch);
  flash_fwd_kernel<D><<<grid, 128, smem, stream>>>(q, k, v, out, lse, s.seq, s.q_heads, s.kv_heads,
                                                   kLog2e / std::sqrt(float(D)));
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void run2_forward(const bf16* q, const bf16* k, const bf16* v, const AttentionShape& s, bf16* out,
                  float* lse, cudaStream_t stream) {
  if (s.head_dim == 64)
    launch_fwd<64>(q, k, v, s, out, lse, stream);
  else
    launch_fwd<128>(q, k, v, s, out, lse, stream);
}

void run2_backward(const BwdArgs& a, cudaStream_t stream) {
  if (a.s.head_dim == 64)
    launch_bwd<64>(a.dout, a.q, a.k, a.v, a.lse, a.delta, a.dq_acc, a.dk, a.dv, a.s, stream);
  else
    launch_bwd<128>(a.dout, a.q, a.k, a.v, a.lse, a.delta, a.dq_acc, a.dk, a.dv, a.s, stream);
}

}  // namespace parallax::gpu::attn_detail
