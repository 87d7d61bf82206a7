// Causal flash attention, forward and backward (see attention.h), in tile
// variants (attention_variants.h).
//
// Which kernel and why: FlashAttention-2's split (Dao, 2023) on mma.sync
// m16n8k16 bf16 tensor cores (sm_80 and sm_90 alike; wgmma is a later step).
//
// Forward <D, W, MT, BN>: a block owns W * 16 * MT query rows (W warps, each
// MT m16 tiles; MT = 2 reuses every K/V fragment from shared memory for two
// tiles, halving the ldmatrix traffic per mma) and walks the BN-key tiles up to
// its diagonal. Q sits in shared memory; S = QK^T and P stay in registers (the
// C fragment of m16n8k16 is reused as P's A fragment for P V); the running max
// is kept in raw score units and the softmax scale is folded into one FMA
// before exp2. The causal mask is applied only on tiles that cross a warp's
// diagonal (or the end of the sequence), and a warp skips tiles that lie wholly
// in its future. K/V tiles stream in with cp.async, double-buffered, one
// barrier per tile.
//
// Backward <D, W, BQ>: a block owns W * 16 keys (16 per warp) for all q heads of
// its kv head (GQA sums in registers) and walks BQ-row query tiles from the
// diagonal down; it recomputes P from lse (pre-scaled to log2), accumulates dK
// and dV in registers, stages dS in shared memory (key-major with 32-bit stores
// in the DST variants) and adds dQ = dS K into an fp32 buffer with 4-wide
// vector reductions (red.v4.f32; a dK/dV pass plus a separate dQ pass would
// recompute S and dP, 40% more FLOPs). The softmax scale of dS is applied once
// to dK and to dQ instead of per element. One extra pass casts dQ.
//
// Measured on an H200 (bench/kernels/RESULTS.md, run 3): 8 warps x 16 rows win
// the forward; two m16 tiles per warp halve the shared-memory traffic but need
// all 255 registers at d128.
#include "kernels/attention.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/attention_common.cuh"
#include "kernels/attention_variants.h"
#include "kernels/casts.h"
#include "kernels/check.h"

namespace parallax::gpu {
namespace attn_detail {
namespace {

// ---------------------------------------------------------------- forward

template <int D, int W, int MT, int BN>
struct Fwd {
  static constexpr int kRows = W * 16 * MT;  // query rows per block
  static constexpr int kThreads = W * 32;
  static constexpr int P = D + 8;  // row pitch (16-byte rows, conflict-free ldmatrix)
  static constexpr int kQ = kRows * P;       // Q tile, bf16 elements
  static constexpr int kStage = 2 * BN * P;  // K then V
  static constexpr size_t kBytes = size_t(kQ + 2 * kStage) * 2;
};

// One m16 tile per warp fits in 128 registers: ask for two blocks per SM.
// QR: Q's A fragments stay in registers for the whole block (no ldmatrix of Q per tile).
template <int D, int W, int MT, int BN, bool QR>
__global__ void __launch_bounds__(W * 32, MT == 1 && !QR ? 2 : 1)
    fwd_kernel(const bf16* __restrict q, const bf16* __restrict k, const bf16* __restrict v,
               bf16* __restrict out, float* __restrict lse, int seq, int q_heads, int kv_heads,
               float scale_log2) {
  using C = Fwd<D, W, MT, BN>;
  constexpr int P = C::P;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* q_s = reinterpret_cast<bf16*>(smem_raw);
  bf16* kv_s = q_s + C::kQ;

  const int qb = gridDim.x - 1 - blockIdx.x;  // heaviest (longest) blocks first
  const int h = blockIdx.y, b = blockIdx.z, hk = h / (q_heads / kv_heads);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const size_t qs = size_t(q_heads) * D, ks = size_t(kv_heads) * D;
  const bf16* qg = q + size_t(b) * seq * qs + size_t(h) * D;
  const bf16* kg = k + size_t(b) * seq * ks + size_t(hk) * D;
  const bf16* vg = v + size_t(b) * seq * ks + size_t(hk) * D;
  const int q0 = qb * C::kRows;
  const int wrow = warp * 16 * MT;  // this warp's first row within the block
  const int row_first = q0 + wrow, row_last = row_first + 16 * MT - 1;
  const int n_tiles = (min(seq, q0 + C::kRows) + BN - 1) / BN;  // causal: up to the diagonal

  auto issue = [&](int j) {
    bf16* st = kv_s + (j & 1) * C::kStage;
    load_rows_async<D>(st, P, kg, ks, j * BN, BN, seq);
    load_rows_async<D>(st + BN * P, P, vg, ks, j * BN, BN, seq);
  };
  load_rows_async<D>(q_s, P, qg, qs, q0, C::kRows, seq);
  issue(0);
  cp_async_commit();

  float o[MT][D / 8][4];
  float m[MT][2], l[MT][2];  // running max (raw score units) and sum per row
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int i = 0; i < D / 8; ++i) o[mt][i][0] = o[mt][i][1] = o[mt][i][2] = o[mt][i][3] = 0.0f;
    m[mt][0] = m[mt][1] = -INFINITY;
    l[mt][0] = l[mt][1] = 0.0f;
  }

  uint32_t qreg[QR ? D / 16 : 1][MT][4];
  if (QR) {
    cp_async_wait_0();
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
        load_a(qreg[QR ? kk : 0][mt], q_s + (wrow + mt * 16) * P + kk * 16, P, lane);
  }

  for (int j = 0; j < n_tiles; ++j) {
    cp_async_wait_0();  // tile j (and Q) landed
    __syncthreads();    // ... for every thread, and everyone is done with tile j - 1
    if (j + 1 < n_tiles) issue(j + 1);  // into the stage tile j - 1 used
    cp_async_commit();
    const int key0 = j * BN;
    if (key0 > row_last) continue;  // every key of this tile is in this warp's future
    const bf16* k_s = kv_s + (j & 1) * C::kStage;
    const bf16* v_s = k_s + BN * P;

    float s[MT][BN / 8][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int nt = 0; nt < BN / 8; ++nt)
        s[mt][nt][0] = s[mt][nt][1] = s[mt][nt][2] = s[mt][nt][3] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t qa[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        if (QR) {
#pragma unroll
          for (int i = 0; i < 4; ++i) qa[mt][i] = qreg[QR ? kk : 0][mt][i];
        } else {
          load_a(qa[mt], q_s + (wrow + mt * 16) * P + kk * 16, P, lane);
        }
      }
#pragma unroll
      for (int nt = 0; nt < BN / 8; nt += 2) {
        uint32_t bf[4];
        load_b_nmajor(bf, k_s + nt * 8 * P + kk * 16, P, lane);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          mma16816(s[mt][nt], qa[mt], bf[0], bf[1]);
          mma16816(s[mt][nt + 1], qa[mt], bf[2], bf[3]);
        }
      }
    }
    const bool masked = key0 + BN - 1 > row_first || key0 + BN > seq;
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      const int ra = row_first + mt * 16 + g, rb = ra + 8;
      if (masked) {
#pragma unroll
        for (int nt = 0; nt < BN / 8; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int key = key0 + nt * 8 + 2 * t + (e & 1);
            if (key > (e < 2 ? ra : rb) || key >= seq) s[mt][nt][e] = -INFINITY;
          }
      }
      float mx[2] = {m[mt][0], m[mt][1]};
#pragma unroll
      for (int nt = 0; nt < BN / 8; ++nt) {
        mx[0] = fmaxf(mx[0], fmaxf(s[mt][nt][0], s[mt][nt][1]));
        mx[1] = fmaxf(mx[1], fmaxf(s[mt][nt][2], s[mt][nt][3]));
      }
      float alpha[2], msc[2], rsum[2] = {0.0f, 0.0f};
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
        mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
        msc[r] = mx[r] == -INFINITY ? 0.0f : mx[r] * scale_log2;
        alpha[r] = fast_exp2(m[mt][r] * scale_log2 - msc[r]);  // 0 while m was -inf
        m[mt][r] = mx[r];
      }
#pragma unroll
      for (int nt = 0; nt < BN / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          s[mt][nt][e] = fast_exp2(fmaf(s[mt][nt][e], scale_log2, -msc[e / 2]));
          rsum[e / 2] += s[mt][nt][e];
        }
#pragma unroll
      for (int r = 0; r < 2; ++r) l[mt][r] = l[mt][r] * alpha[r] + rsum[r];
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
        o[mt][dt][0] *= alpha[0];
        o[mt][dt][1] *= alpha[0];
        o[mt][dt][2] *= alpha[1];
        o[mt][dt][3] *= alpha[1];
      }
    }
    // O += P V: the C fragments of two adjacent 8-key tiles form P's A fragment.
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
      uint32_t pa[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) c_to_a(pa[mt], s[mt][2 * kk], s[mt][2 * kk + 1]);
#pragma unroll
      for (int dt = 0; dt < D / 8; dt += 2) {
        uint32_t bf[4];
        load_b_kmajor(bf, v_s + kk * 16 * P + dt * 8, P, lane);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          mma16816(o[mt][dt], pa[mt], bf[0], bf[1]);
          mma16816(o[mt][dt + 1], pa[mt], bf[2], bf[3]);
        }
      }
    }
  }

  bf16* og = out + size_t(b) * seq * qs + size_t(h) * D;
  float* lg = lse + (size_t(b) * q_heads + h) * seq;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
    const int ra = row_first + mt * 16 + g, rb = ra + 8;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      l[mt][r] += __shfl_xor_sync(0xffffffffu, l[mt][r], 1);
      l[mt][r] += __shfl_xor_sync(0xffffffffu, l[mt][r], 2);
    }
    const float inv_a = 1.0f / l[mt][0], inv_b = 1.0f / l[mt][1];
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      const int c = dt * 8 + 2 * t;
      if (ra < seq)
        *reinterpret_cast<uint32_t*>(og + ra * qs + c) =
            pack_bf16(o[mt][dt][0] * inv_a, o[mt][dt][1] * inv_a);
      if (rb < seq)
        *reinterpret_cast<uint32_t*>(og + rb * qs + c) =
            pack_bf16(o[mt][dt][2] * inv_b, o[mt][dt][3] * inv_b);
    }
    if (t == 0) {
      if (ra < seq) lg[ra] = (m[mt][0] * scale_log2 + log2f(l[mt][0])) * kLn2;
      if (rb < seq) lg[rb] = (m[mt][1] * scale_log2 + log2f(l[mt][1])) * kLn2;
    }
  }
}

template <int D, int W, int MT, int BN, bool QR>
void launch_fwd(const bf16* q, const bf16* k, const bf16* v, const AttentionShape& s, bf16* out,
                float* lse, cudaStream_t stream) {
  using C = Fwd<D, W, MT, BN>;
  auto* kern = fwd_kernel<D, W, MT, BN, QR>;
  CUDA_CHECK(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(C::kBytes)));
  const dim3 grid((s.seq + C::kRows - 1) / C::kRows, s.q_heads, s.batch);
  kern<<<grid, C::kThreads, C::kBytes, stream>>>(q, k, v, out, lse, s.seq, s.q_heads, s.kv_heads,
                                                 kLog2e / std::sqrt(float(D)));
  CUDA_CHECK_LAUNCH();
}

template <int W, int MT, int BN, bool QR = false>
void fwd_variant(const bf16* q, const bf16* k, const bf16* v, const AttentionShape& s, bf16* out,
                 float* lse, cudaStream_t stream) {
  if (s.head_dim == 64)
    launch_fwd<64, W, MT, BN, QR>(q, k, v, s, out, lse, stream);
  else
    launch_fwd<128, W, MT, BN, QR>(q, k, v, s, out, lse, stream);
}

// ---------------------------------------------------------------- backward

// delta[b, h, i] = sum_d dO[b, i, h, d] * O[b, i, h, d]; one warp per row.
__global__ void attention_delta_kernel(const bf16* __restrict dout, const bf16* __restrict out,
                                       float* __restrict delta, int batch, int seq, int q_heads,
                                       int d) {
  const size_t row = (size_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (row >= size_t(batch) * seq * q_heads) return;
  const bf16* a = dout + row * d;
  const bf16* c = out + row * d;
  float acc = 0.0f;
  for (int i = 2 * lane; i < d; i += 64) {
    const float2 x = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(a + i));
    const float2 y = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(c + i));
    acc += x.x * y.x + x.y * y.y;
  }
  for (int off = 16; off > 0; off /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, off);
  if (lane == 0) {  // row = (b * seq + i) * q_heads + h  ->  delta[(b * q_heads + h) * seq + i]
    const size_t h = row % q_heads, bi = row / q_heads, i = bi % seq, b = bi / seq;
    delta[(b * q_heads + h) * seq + i] = acc;
  }
}

// DST: dS is staged key-major ([keys][BQ], 32-bit conflict-free stores of the
// C fragments, read back with ldmatrix.trans) instead of query-major (16-bit stores).
template <int D, int W, int BQ, bool DST>
struct Bwd {
  static constexpr int kKeys = W * 16;  // keys per block
  static constexpr int kThreads = W * 32;
  static constexpr int RP = D + 8;       // pitch of row-major [rows][D] tiles
  static constexpr int SP = DST ? BQ + 8 : kKeys + 8;  // pitch of dS [kKeys][BQ] or [BQ][kKeys]
  static constexpr int k = 0;                        // [kKeys][RP]
  static constexpr int v = k + kKeys * RP;           // [kKeys][RP]
  static constexpr int ds = v + kKeys * RP;
  // Then two stages of q [BQ][RP], dO [BQ][RP].
  static constexpr int stage0 = ds + (DST ? kKeys : BQ) * SP;
  static constexpr int stage = 2 * BQ * RP;
  static constexpr int end = stage0 + 2 * stage;     // bf16 elements
  static constexpr size_t kBytes = size_t(end) * 2 + 2 * 2 * BQ * sizeof(float);
  // dQ tile [BQ x D]: warps in kRowGroups x (W / kRowGroups), each 16 rows x kCols.
  static constexpr int kRowGroups = BQ / 16;
  static constexpr int kCols = D / (W / kRowGroups);
  static_assert(W % kRowGroups == 0 && kCols % 16 == 0, "dQ split");
};

// MINB: blocks per SM to fit in registers (2 caps a 256-thread block at 128).
template <int D, int W, int BQ, int MINB, bool DST>
__global__ void __launch_bounds__(W * 32, MINB)
    bwd_kernel(const bf16* __restrict dout, const bf16* __restrict q, const bf16* __restrict k,
               const bf16* __restrict v, const float* __restrict lse,
               const float* __restrict delta, float* __restrict dq_acc, bf16* __restrict dk,
               bf16* __restrict dv, int seq, int q_heads, int kv_heads, float scale) {
  using L = Bwd<D, W, BQ, DST>;
  constexpr int RP = L::RP, SP = L::SP, BK = L::kKeys;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* sm = reinterpret_cast<bf16*>(smem_raw);
  float* stats = reinterpret_cast<float*>(sm + L::end);  // [2 stages][lse BQ | delta BQ]

  const int kb = blockIdx.x;  // early keys see the most queries: they start first
  const int hk = blockIdx.y, b = blockIdx.z;
  const int group = q_heads / kv_heads;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const size_t qs = size_t(q_heads) * D, ks = size_t(kv_heads) * D;
  const int key0 = kb * BK;
  const float scale_log2 = scale * kLog2e;

  const bf16* kg = k + size_t(b) * seq * ks + size_t(hk) * D;
  const bf16* vg = v + size_t(b) * seq * ks + size_t(hk) * D;
  load_rows_async<D>(sm + L::k, RP, kg, ks, key0, BK, seq);
  load_rows_async<D>(sm + L::v, RP, vg, ks, key0, BK, seq);

  // Work items: (q head of the group, query tile) from the diagonal down.
  const int q_first = key0 / BQ;
  const int n_q = (seq + BQ - 1) / BQ - q_first;
  const int n_items = group * n_q;
  auto issue = [&](int item) {
    const int h = hk * group + item / n_q, q0 = (q_first + item % n_q) * BQ;
    bf16* st = sm + L::stage0 + (item & 1) * L::stage;
    const size_t off = size_t(b) * seq * qs + size_t(h) * D;
    load_rows_async<D>(st, RP, q + off, qs, q0, BQ, seq);
    load_rows_async<D>(st + BQ * RP, RP, dout + off, qs, q0, BQ, seq);
    if (threadIdx.x < BQ) {
      const int i = q0 + threadIdx.x;
      const size_t r = (size_t(b) * q_heads + h) * seq + i;
      float* sst = stats + (item & 1) * 2 * BQ;
      sst[threadIdx.x] = i < seq ? lse[r] * kLog2e : 0.0f;
      sst[BQ + threadIdx.x] = i < seq ? delta[r] : 0.0f;
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
  bf16* ds_s = sm + L::ds;

  for (int item = 0; item < n_items; ++item) {
    cp_async_wait_0();
    __syncthreads();  // this tile landed; everyone is done with the previous one and dS
    if (item + 1 < n_items) issue(item + 1);
    cp_async_commit();
    const int h = hk * group + item / n_q, q0 = (q_first + item % n_q) * BQ;
    const bf16* q_s = sm + L::stage0 + (item & 1) * L::stage;
    const bf16* do_s = q_s + BQ * RP;
    const float* lse_s = stats + (item & 1) * 2 * BQ;
    const float* delta_s = lse_s + BQ;

    if (q0 + BQ - 1 < key0 + wkey) {  // every query of the tile precedes this warp's keys
      if (DST) {
#pragma unroll
        for (int nt = 0; nt < BQ / 8; ++nt) {
          *reinterpret_cast<uint32_t*>(ds_s + (wkey + g) * SP + nt * 8 + 2 * t) = 0u;
          *reinterpret_cast<uint32_t*>(ds_s + (wkey + g + 8) * SP + nt * 8 + 2 * t) = 0u;
        }
      } else {
#pragma unroll
        for (int nt = 0; nt < BQ / 8; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e)
            ds_s[(nt * 8 + 2 * t + (e & 1)) * SP + wkey + g + (e < 2 ? 0 : 8)] =
                __float2bfloat16_rn(0.0f);
      }
    } else {
      // S^T = K Q^T and dP^T = V dO^T for this warp's 16 keys x BQ queries.
      float st[BQ / 8][4], dpt[BQ / 8][4];
#pragma unroll
      for (int nt = 0; nt < BQ / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) st[nt][e] = dpt[nt][e] = 0.0f;
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        uint32_t ka[4], va[4];
        load_a(ka, sm + L::k + wkey * RP + kk * 16, RP, lane);
        load_a(va, sm + L::v + wkey * RP + kk * 16, RP, lane);
#pragma unroll
        for (int nt = 0; nt < BQ / 8; nt += 2) {
          uint32_t bf[4];
          load_b_nmajor(bf, q_s + nt * 8 * RP + kk * 16, RP, lane);
          mma16816(st[nt], ka, bf[0], bf[1]);
          mma16816(st[nt + 1], ka, bf[2], bf[3]);
          load_b_nmajor(bf, do_s + nt * 8 * RP + kk * 16, RP, lane);
          mma16816(dpt[nt], va, bf[0], bf[1]);
          mma16816(dpt[nt + 1], va, bf[2], bf[3]);
        }
      }
      // P^T = exp2(S^T scale log2e - lse log2e), masked near the diagonal and the
      // end; dS^T / scale = P^T (dP^T - delta) (the scale goes onto dK and dQ).
      const bool masked = q0 < key0 + wkey + 15 || q0 + BQ > seq || key0 + wkey + 16 > seq;
#pragma unroll
      for (int nt = 0; nt < BQ / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int qi = nt * 8 + 2 * t + (e & 1);
          float p = fast_exp2(fmaf(st[nt][e], scale_log2, -lse_s[qi]));
          if (masked) {
            const int key = e < 2 ? key_a : key_b;
            if (key > q0 + qi || q0 + qi >= seq || key >= seq) p = 0.0f;
          }
          st[nt][e] = p;
          dpt[nt][e] = p * (dpt[nt][e] - delta_s[qi]);
        }
      // dV += P^T dO, dK += dS^T Q (A operands straight from the C fragments).
#pragma unroll
      for (int kk = 0; kk < BQ / 16; ++kk) {
        uint32_t pa[4], da[4];
        c_to_a(pa, st[2 * kk], st[2 * kk + 1]);
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
      // dS to smem for dQ = dS K.
      if (DST) {
#pragma unroll
        for (int nt = 0; nt < BQ / 8; ++nt) {
          *reinterpret_cast<uint32_t*>(ds_s + (wkey + g) * SP + nt * 8 + 2 * t) =
              pack_bf16(dpt[nt][0], dpt[nt][1]);
          *reinterpret_cast<uint32_t*>(ds_s + (wkey + g + 8) * SP + nt * 8 + 2 * t) =
              pack_bf16(dpt[nt][2], dpt[nt][3]);
        }
      } else {
#pragma unroll
        for (int nt = 0; nt < BQ / 8; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int qi = nt * 8 + 2 * t + (e & 1);
            ds_s[qi * SP + wkey + g + (e < 2 ? 0 : 8)] = __float2bfloat16_rn(dpt[nt][e]);
          }
      }
    }
    __syncthreads();
    {
      const int qr = (warp % L::kRowGroups) * 16, dc = (warp / L::kRowGroups) * L::kCols;
      float dq[L::kCols / 8][4];
#pragma unroll
      for (int nt = 0; nt < L::kCols / 8; ++nt) dq[nt][0] = dq[nt][1] = dq[nt][2] = dq[nt][3] = 0.0f;
#pragma unroll
      for (int kk = 0; kk < BK / 16; ++kk) {
        uint32_t a[4];
        if (DST)
          load_a_kmajor(a, ds_s + kk * 16 * SP + qr, SP, lane);
        else
          load_a(a, ds_s + qr * SP + kk * 16, SP, lane);
#pragma unroll
        for (int nt = 0; nt < L::kCols / 8; nt += 2) {
          uint32_t bf[4];
          load_b_kmajor(bf, sm + L::k + kk * 16 * RP + dc + nt * 8, RP, lane);
          mma16816(dq[nt], a, bf[0], bf[1]);
          mma16816(dq[nt + 1], a, bf[2], bf[3]);
        }
      }
      float* dqg = dq_acc + size_t(b) * seq * qs + size_t(h) * D;
      // Lanes t and t ^ 1 swap halves so that each adds 4 adjacent columns of one
      // row: even t row g, columns 2t..2t+3; odd t row g + 8, columns 2t-2..2t+1.
      const bool odd = t & 1;
      const int row = q0 + qr + g + (odd ? 8 : 0);
#pragma unroll
      for (int nt = 0; nt < L::kCols / 8; ++nt) {
        const float send0 = odd ? dq[nt][0] : dq[nt][2], send1 = odd ? dq[nt][1] : dq[nt][3];
        const float got0 = __shfl_xor_sync(0xffffffffu, send0, 1);
        const float got1 = __shfl_xor_sync(0xffffffffu, send1, 1);
        const int c = dc + nt * 8 + 2 * (t & ~1);
        if (row < seq) {
          if (odd)
            atomic_add4(dqg + row * qs + c, got0 * scale, got1 * scale, dq[nt][2] * scale,
                        dq[nt][3] * scale);
          else
            atomic_add4(dqg + row * qs + c, dq[nt][0] * scale, dq[nt][1] * scale, got0 * scale,
                        got1 * scale);
        }
      }
    }
  }

  bf16* dkg = dk + size_t(b) * seq * ks + size_t(hk) * D;
  bf16* dvg = dv + size_t(b) * seq * ks + size_t(hk) * D;
#pragma unroll
  for (int dt = 0; dt < D / 8; ++dt) {
    const int c = dt * 8 + 2 * t;
    if (key_a < seq) {
      *reinterpret_cast<uint32_t*>(dkg + key_a * ks + c) =
          pack_bf16(dk_acc[dt][0] * scale, dk_acc[dt][1] * scale);
      *reinterpret_cast<uint32_t*>(dvg + key_a * ks + c) = pack_bf16(dv_acc[dt][0], dv_acc[dt][1]);
    }
    if (key_b < seq) {
      *reinterpret_cast<uint32_t*>(dkg + key_b * ks + c) =
          pack_bf16(dk_acc[dt][2] * scale, dk_acc[dt][3] * scale);
      *reinterpret_cast<uint32_t*>(dvg + key_b * ks + c) = pack_bf16(dv_acc[dt][2], dv_acc[dt][3]);
    }
  }
}

template <int D, int W, int BQ, int MINB, bool DST>
void launch_bwd(const BwdArgs& a, cudaStream_t stream) {
  using L = Bwd<D, W, BQ, DST>;
  auto* kern = bwd_kernel<D, W, BQ, MINB, DST>;
  CUDA_CHECK(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(L::kBytes)));
  const dim3 grid((a.s.seq + L::kKeys - 1) / L::kKeys, a.s.kv_heads, a.s.batch);
  kern<<<grid, L::kThreads, L::kBytes, stream>>>(a.dout, a.q, a.k, a.v, a.lse, a.delta, a.dq_acc,
                                                 a.dk, a.dv, a.s.seq, a.s.q_heads, a.s.kv_heads,
                                                 1.0f / std::sqrt(float(D)));
  CUDA_CHECK_LAUNCH();
}

template <int W, int BQ, int MINB = 1, bool DST = false>
void bwd_variant(const BwdArgs& a, cudaStream_t stream) {
  if (a.s.head_dim == 64)
    launch_bwd<64, W, BQ, MINB, DST>(a, stream);
  else
    launch_bwd<128, W, BQ, MINB, DST>(a, stream);
}

// ---------------------------------------------------------------- variants

using FwdFn = void (*)(const bf16*, const bf16*, const bf16*, const AttentionShape&, bf16*, float*,
                       cudaStream_t);
using BwdFn = void (*)(const BwdArgs&, cudaStream_t);
struct FwdVariant {
  const char* name;
  FwdFn fn;
};
struct BwdVariant {
  const char* name;
  BwdFn fn;
};

constexpr FwdVariant kFwd[] = {
    {"run2", run2_forward},
    {"w4m1n64", fwd_variant<4, 1, 64>},
    {"w8m1n64", fwd_variant<8, 1, 64>},
    {"w4m2n64", fwd_variant<4, 2, 64>},
    {"w8m1n128", fwd_variant<8, 1, 128>},
    {"w4m2n32", fwd_variant<4, 2, 32>},
    {"w8m2n64", fwd_variant<8, 2, 64>},
    {"w8m1n128q", fwd_variant<8, 1, 128, true>},
};
constexpr BwdVariant kBwd[] = {
    {"run2", run2_backward},
    {"w4q32", bwd_variant<4, 32>},
    {"w4q64", bwd_variant<4, 64>},
    {"w8q32", bwd_variant<8, 32>},
    {"w8q64", bwd_variant<8, 64>},
    {"w8q64t", bwd_variant<8, 64, 1, true>},
    {"w8q32b2t", bwd_variant<8, 32, 2, true>},
    {"w4q64b3t", bwd_variant<4, 64, 3, true>},
};
constexpr int kFwdCount = sizeof(kFwd) / sizeof(kFwd[0]);
constexpr int kBwdCount = sizeof(kBwd) / sizeof(kBwd[0]);

void check_shape(const AttentionShape& s) {
  if (s.head_dim != 64 && s.head_dim != 128)
    throw std::invalid_argument("flash attention: head_dim must be 64 or 128");
  if (s.kv_heads <= 0 || s.q_heads % s.kv_heads != 0)
    throw std::invalid_argument("flash attention: q_heads must be a multiple of kv_heads");
  if (s.batch <= 0 || s.seq <= 0) throw std::invalid_argument("flash attention: empty shape");
}

template <typename V, int N>
int find_variant(const V (&table)[N], const char* name) {
  for (int i = 0; i < N; ++i)
    if (std::strcmp(table[i].name, name) == 0) return i;
  throw std::logic_error("flash attention: no variant " + std::string(name));
}

void check_variant(int variant, int count) {
  if (variant < 0 || variant >= count)
    throw std::invalid_argument("flash attention: variant must be in [0, count)");
}

}  // namespace
}  // namespace attn_detail

using attn_detail::bf16;

int attention_forward_variant_count() { return attn_detail::kFwdCount; }
int attention_backward_variant_count() { return attn_detail::kBwdCount; }
const char* attention_forward_variant_name(int variant) {
  attn_detail::check_variant(variant, attn_detail::kFwdCount);
  return attn_detail::kFwd[variant].name;
}
const char* attention_backward_variant_name(int variant) {
  attn_detail::check_variant(variant, attn_detail::kBwdCount);
  return attn_detail::kBwd[variant].name;
}
// Fastest on an H200 at 4 x 2048, causal (bench/kernels/RESULTS.md, run 3).
int attention_default_forward_variant(int head_dim) {
  return attn_detail::find_variant(attn_detail::kFwd, head_dim == 64 ? "w8m1n128" : "w8m1n64");
}
int attention_default_backward_variant(int head_dim) {
  return attn_detail::find_variant(attn_detail::kBwd, head_dim == 64 ? "w4q64b3t" : "w8q64t");
}

void flash_attention_forward_variant(int variant, const bf16* q, const bf16* k, const bf16* v,
                                     const AttentionShape& s, bf16* out, float* lse,
                                     cudaStream_t stream) {
  attn_detail::check_shape(s);
  attn_detail::check_variant(variant, attn_detail::kFwdCount);
  attn_detail::kFwd[variant].fn(q, k, v, s, out, lse, stream);
}

void flash_attention_forward(const bf16* q, const bf16* k, const bf16* v, const AttentionShape& s,
                             bf16* out, float* lse, cudaStream_t stream) {
  flash_attention_forward_variant(attention_default_forward_variant(s.head_dim), q, k, v, s, out,
                                  lse, stream);
}

size_t flash_attention_backward_workspace_bytes(const AttentionShape& s) {
  const size_t rows = size_t(s.batch) * s.seq * s.q_heads;
  return rows * s.head_dim * sizeof(float) + rows * sizeof(float);
}

void flash_attention_backward_variant(int variant, const bf16* dout, const bf16* q, const bf16* k,
                                      const bf16* v, const bf16* out, const float* lse,
                                      const AttentionShape& s, bf16* dq, bf16* dk, bf16* dv,
                                      void* workspace, cudaStream_t stream) {
  attn_detail::check_shape(s);
  attn_detail::check_variant(variant, attn_detail::kBwdCount);
  const size_t rows = size_t(s.batch) * s.seq * s.q_heads;
  float* dq_acc = static_cast<float*>(workspace);
  float* delta = dq_acc + rows * s.head_dim;
  CUDA_CHECK(cudaMemsetAsync(dq_acc, 0, rows * s.head_dim * sizeof(float), stream));
  attn_detail::attention_delta_kernel<<<static_cast<unsigned>((rows * 32 + 255) / 256), 256, 0,
                                        stream>>>(dout, out, delta, s.batch, s.seq, s.q_heads,
                                                  s.head_dim);
  CUDA_CHECK_LAUNCH();
  attn_detail::kBwd[variant].fn({dout, q, k, v, lse, delta, dq_acc, dk, dv, s}, stream);
  cast_fp32_to_bf16(dq_acc, dq, rows * s.head_dim, stream);
}

void flash_attention_backward(const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                              const bf16* out, const float* lse, const AttentionShape& s,
                              bf16* dq, bf16* dk, bf16* dv, void* workspace,
                              cudaStream_t stream) {
  flash_attention_backward_variant(attention_default_backward_variant(s.head_dim), dout, q, k, v,
                                   out, lse, s, dq, dk, dv, workspace, stream);
}

}  // namespace parallax::gpu
