// Micro-benchmarks of the parallax training kernels at GPT-1.3B sizes
// (batch 4, seq 2048, hidden 2048, 16 heads of 64, vocab 50304, MLP 4x).
// Each line: kernel, shape, median time of --iters runs (CUDA events around
// each run, after warm-up), and achieved GB/s (memory-bound: bytes that must
// move, each input read once and each output written once) or TFLOP/s (GEMM,
// attention: model FLOPs, causal attention counts half the s x s products).
// Inputs are random, never zero. Prints numbers only; nothing is asserted.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/activations.h"
#include "kernels/adamw.h"
#include "kernels/attention.h"
#include "kernels/attention_variants.h"
#include "kernels/casts.h"
#include "kernels/check.h"
#include "kernels/cross_entropy.h"
#include "kernels/embedding.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "kernels/rope.h"

namespace parallax::gpu {
namespace {

using bf16 = __nv_bfloat16;

int g_iters = 20;
bool g_only_attention = false;  // --only=attention

// Device allocation filled with random values (a 4M-element random pool tiled
// over the buffer: not zeros, and far larger than L2 for the big tensors).
template <typename T>
T* alloc_random(size_t n, float lo = -1.0f, float hi = 1.0f) {
  T* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T)));
  const size_t pool = std::min<size_t>(n, size_t(1) << 22);
  std::vector<T> host(pool);
  std::mt19937 gen(42);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (auto& x : host) x = T(dist(gen));
  for (size_t off = 0; off < n; off += pool)
    CUDA_CHECK(cudaMemcpy(p + off, host.data(), std::min(pool, n - off) * sizeof(T),
                          cudaMemcpyHostToDevice));
  return p;
}

int32_t* alloc_tokens(size_t n, int vocab) {
  std::vector<int32_t> host(n);
  std::mt19937 gen(7);
  for (auto& t : host) t = int32_t(gen() % vocab);
  int32_t* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, n * sizeof(int32_t)));
  CUDA_CHECK(cudaMemcpy(p, host.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice));
  return p;
}

float median_ms(const std::function<void()>& fn) {
  cudaEvent_t a, b;
  CUDA_CHECK(cudaEventCreate(&a));
  CUDA_CHECK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) fn();  // warm-up: module load, handles, plans
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<float> ms(g_iters);
  for (int i = 0; i < g_iters; ++i) {
    CUDA_CHECK(cudaEventRecord(a));
    fn();
    CUDA_CHECK(cudaEventRecord(b));
    CUDA_CHECK(cudaEventSynchronize(b));
    CUDA_CHECK(cudaEventElapsedTime(&ms[i], a, b));
  }
  CUDA_CHECK(cudaEventDestroy(a));
  CUDA_CHECK(cudaEventDestroy(b));
  std::nth_element(ms.begin(), ms.begin() + g_iters / 2, ms.end());
  return ms[g_iters / 2];
}

void report_bytes(const std::string& name, const std::string& shape, double bytes,
                  const std::function<void()>& fn) {
  const float ms = median_ms(fn);
  std::printf("%-26s %-34s %9.3f ms %9.1f GB/s\n", name.c_str(), shape.c_str(), ms,
              bytes / (ms * 1e-3) / 1e9);
}

// Prints the median time and TFLOP/s (and `note`); returns the time.
float report_flops(const std::string& name, const std::string& shape, double flops,
                   const std::function<void()>& fn, const std::string& note = "") {
  const float ms = median_ms(fn);
  std::printf("%-26s %-34s %9.3f ms %9.1f TFLOP/s %s\n", name.c_str(), shape.c_str(), ms,
              flops / (ms * 1e-3) / 1e12, note.c_str());
  return ms;
}

std::string speedup_note(float base_ms, float ms) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "(x%.2f vs run2)", base_ms / ms);
  return buf;
}

std::string dims(std::initializer_list<long> d) {
  std::string s;
  for (long x : d) s += (s.empty() ? "" : "x") + std::to_string(x);
  return s;
}

// Flash attention at the model's shapes (hidden H as 16 heads of 128 or 32 of
// 64): every tile variant, then the default entry points, each with its
// speed-up over variant 0 ("run2", the kernels before tuning) of this run.
void bench_attention(int B, int S, int H) {
  for (int hd : {64, 128}) {
    const AttentionShape s{B, S, H / hd, H / hd, hd};
    const size_t n = size_t(B) * S * H;
    bf16 *q = alloc_random<bf16>(n, -2, 2), *k = alloc_random<bf16>(n, -2, 2),
         *v = alloc_random<bf16>(n), *o = alloc_random<bf16>(n), *dout = alloc_random<bf16>(n);
    bf16 *dq = alloc_random<bf16>(n), *dk = alloc_random<bf16>(n), *dv = alloc_random<bf16>(n);
    float* lse = alloc_random<float>(size_t(B) * s.q_heads * S);
    void* ws = nullptr;
    CUDA_CHECK(cudaMalloc(&ws, flash_attention_backward_workspace_bytes(s)));
    // Causal: half of the 2 matmuls (QK^T, PV) of 2 b h s^2 d FLOPs each.
    const double fwd = 4.0 * B * s.q_heads * double(S) * S * hd / 2;
    const std::string shape = dims({B, S, s.q_heads, hd}) + " causal";
    const std::string d = " d" + std::to_string(hd);
    // Variant 0 is timed first; every later line prints its speed-up over it.
    float base = 0;
    for (int i = 0; i < attention_forward_variant_count(); ++i) {
      const float ms = median_ms([&] { flash_attention_forward_variant(i, q, k, v, s, o, lse, nullptr); });
      if (i == 0) base = ms;
      std::printf("%-26s %-34s %9.3f ms %9.1f TFLOP/s %s\n",
                  ("attn fwd" + d + " " + attention_forward_variant_name(i)).c_str(),
                  shape.c_str(), ms, fwd / (ms * 1e-3) / 1e12, speedup_note(base, ms).c_str());
    }
    report_flops("flash attn fwd" + d, shape, fwd,
                 [&] { flash_attention_forward(q, k, v, s, o, lse, nullptr); }, "(default)");
    // The backward reads a real forward's output and lse.
    flash_attention_forward(q, k, v, s, o, lse, nullptr);
    for (int i = 0; i < attention_backward_variant_count(); ++i) {
      const float ms = median_ms([&] {
        flash_attention_backward_variant(i, dout, q, k, v, o, lse, s, dq, dk, dv, ws, nullptr);
      });
      if (i == 0) base = ms;
      std::printf("%-26s %-34s %9.3f ms %9.1f TFLOP/s %s\n",
                  ("attn bwd" + d + " " + attention_backward_variant_name(i)).c_str(),
                  shape.c_str(), ms, 2.5 * fwd / (ms * 1e-3) / 1e12,
                  speedup_note(base, ms).c_str());
    }
    report_flops("flash attn bwd" + d, shape, 2.5 * fwd, [&] {
      flash_attention_backward(dout, q, k, v, o, lse, s, dq, dk, dv, ws, nullptr);
    }, "(default)");
    for (void* p : {(void*)q, (void*)k, (void*)v, (void*)o, (void*)dout, (void*)dq, (void*)dk,
                    (void*)dv, (void*)lse, ws})
      CUDA_CHECK(cudaFree(p));
  }
}

void run() {
  const int B = 4, S = 2048, H = 2048, NH = 16, HD = 64, V = 50304, F = 4 * H;
  const size_t rows = size_t(B) * S;
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs, L2 %d MB\n", prop.name, prop.multiProcessorCount,
              prop.l2CacheSize >> 20);
  std::printf("%-26s %-34s %12s %14s\n", "kernel", "shape", "median", "rate");
  if (g_only_attention) {
    bench_attention(B, S, H);
    return;
  }

  {  // Ceiling: device-to-device copy (bytes read + written).
    const size_t n = size_t(1) << 30;
    char *a = nullptr, *b = nullptr;
    CUDA_CHECK(cudaMalloc(&a, n));
    CUDA_CHECK(cudaMalloc(&b, n));
    CUDA_CHECK(cudaMemset(a, 1, n));
    report_bytes("memcpy d2d (ceiling)", "1 GiB", 2.0 * n,
                 [&] { CUDA_CHECK(cudaMemcpyAsync(b, a, n, cudaMemcpyDeviceToDevice)); });
    CUDA_CHECK(cudaFree(a));
    CUDA_CHECK(cudaFree(b));
  }

  bf16* x = alloc_random<bf16>(rows * H);
  bf16* y = alloc_random<bf16>(rows * H);
  bf16* dy = alloc_random<bf16>(rows * H);
  bf16* dx = alloc_random<bf16>(rows * H);
  {
    const size_t n = rows * H * 8;  // 134M elements
    float* f = alloc_random<float>(n);
    bf16* h = alloc_random<bf16>(n);
    report_bytes("cast fp32->bf16", dims({long(n)}), 6.0 * n,
                 [&] { cast_fp32_to_bf16(f, h, n, nullptr); });
    report_bytes("cast bf16->fp32", dims({long(n)}), 6.0 * n,
                 [&] { cast_bf16_to_fp32(h, f, n, nullptr); });
    CUDA_CHECK(cudaFree(f));
    CUDA_CHECK(cudaFree(h));
  }
  {
    int32_t* tok = alloc_tokens(rows, V);
    bf16* wte = alloc_random<bf16>(size_t(V) * H);
    bf16* wpe = alloc_random<bf16>(size_t(S) * H);
    float* dwte = alloc_random<float>(size_t(V) * H);
    float* dwpe = alloc_random<float>(size_t(S) * H);
    report_bytes("embedding fwd (+pos)", dims({B, S, H}), 2.0 * rows * H * 2 + 2.0 * S * H,
                 [&] { embedding_forward(tok, wte, wpe, B, S, H, x, nullptr); });
    // dout read + fp32 read-modify-write of the touched dwte rows + dwpe.
    report_bytes("embedding bwd", dims({B, S, H}), 2.0 * rows * H + 8.0 * rows * H + 8.0 * S * H,
                 [&] { embedding_backward(tok, dy, B, S, H, dwte, dwpe, nullptr); });
    CUDA_CHECK(cudaFree(tok));
    CUDA_CHECK(cudaFree(wte));
    CUDA_CHECK(cudaFree(wpe));
    CUDA_CHECK(cudaFree(dwte));
    CUDA_CHECK(cudaFree(dwpe));
  }
  {
    bf16* w = alloc_random<bf16>(H, 0.5f, 1.5f);
    bf16* bias = alloc_random<bf16>(H);
    float *mean = alloc_random<float>(rows), *rstd = alloc_random<float>(rows);
    float *dw = alloc_random<float>(H), *db = alloc_random<float>(H);
    const double act = 2.0 * rows * H;
    report_bytes("layernorm fwd", dims({long(rows), H}), 2 * act,
                 [&] { layernorm_forward(x, w, bias, rows, H, 1e-5f, y, mean, rstd, nullptr); });
    report_bytes("layernorm bwd", dims({long(rows), H}), 3 * act, [&] {
      layernorm_backward(dy, x, w, mean, rstd, rows, H, dx, dw, db, nullptr);
    });
    report_bytes("rmsnorm fwd", dims({long(rows), H}), 2 * act,
                 [&] { rmsnorm_forward(x, w, rows, H, 1e-6f, y, rstd, nullptr); });
    report_bytes("rmsnorm bwd", dims({long(rows), H}), 3 * act,
                 [&] { rmsnorm_backward(dy, x, w, rstd, rows, H, dx, dw, nullptr); });
    for (void* p : {(void*)w, (void*)bias, (void*)mean, (void*)rstd, (void*)dw, (void*)db})
      CUDA_CHECK(cudaFree(p));
  }
  {
    const size_t n = rows * F;
    bf16* a = alloc_random<bf16>(n, -4, 4);
    bf16* b = alloc_random<bf16>(n);
    bf16* c = alloc_random<bf16>(n);
    report_bytes("gelu fwd", dims({long(rows), F}), 4.0 * n, [&] { gelu_forward(a, n, b, nullptr); });
    report_bytes("gelu bwd", dims({long(rows), F}), 6.0 * n,
                 [&] { gelu_backward(b, a, n, c, nullptr); });
    const int hid = F / 2;  // gate_up [rows, F] = [gate | up], out [rows, F/2]
    report_bytes("swiglu fwd", dims({long(rows), hid}), 2.0 * rows * 3 * hid,
                 [&] { swiglu_forward(a, rows, hid, b, nullptr); });
    report_bytes("swiglu bwd", dims({long(rows), hid}), 2.0 * rows * 5 * hid,
                 [&] { swiglu_backward(b, a, rows, hid, c, nullptr); });
    CUDA_CHECK(cudaFree(a));
    CUDA_CHECK(cudaFree(b));
    CUDA_CHECK(cudaFree(c));
  }
  // RoPE on q of the brief's 16 heads x 64 (read and written once, bf16).
  const double rope_bytes = 2.0 * 2 * rows * NH * HD;
  report_bytes("rope fwd (q)", dims({B, S, NH, HD}), rope_bytes,
               [&] { rope_forward(x, B, S, NH, HD, 10000.0f, 0, y, nullptr); });
  report_bytes("rope bwd (q)", dims({B, S, NH, HD}), rope_bytes,
               [&] { rope_backward(dy, B, S, NH, HD, 10000.0f, 0, dx, nullptr); });
  bench_attention(B, S, H);
  {
    bf16* logits = alloc_random<bf16>(rows * V, -8, 8);
    int32_t* tok = alloc_tokens(rows, V);
    float* losses = alloc_random<float>(rows);
    // Re-filling the logits each run would be timed too; the kernel's cost does not
    // depend on the values it overwrote, only on there being no NaN/inf (exp of
    // gradients in [-1, 1] stays finite).
    report_bytes("softmax xent (in place)", dims({long(rows), V}), 3.0 * 2 * rows * V,
                 [&] { softmax_cross_entropy(logits, tok, rows, V, 1.0f / rows, losses, nullptr); });
    CUDA_CHECK(cudaFree(logits));
    CUDA_CHECK(cudaFree(tok));
    CUDA_CHECK(cudaFree(losses));
  }
  {
    // 24 tensors of 16M = 403M parameters (a third of 1.3B; the rate does not
    // depend on the count once it is far past L2).
    std::vector<AdamWTensor> ts;
    const size_t per = size_t(1) << 24;
    for (int i = 0; i < 24; ++i)
      ts.push_back({alloc_random<float>(per), alloc_random<float>(per, -1e-3f, 1e-3f),
                    alloc_random<float>(per, -1e-3f, 1e-3f), alloc_random<float>(per, 0, 1e-6f),
                    alloc_random<bf16>(per), per});
    float* sumsq = alloc_random<float>(1);
    AdamWConfig cfg;
    const double n = 24.0 * per;
    int step = 1;
    report_bytes("adamw multi-tensor", "24 x 16M fp32", 30.0 * n,
                 [&] { adamw_multi_tensor(ts, cfg, step++, nullptr, 0.0f, nullptr); });
    report_bytes("grad sumsq multi-tensor", "24 x 16M fp32", 4.0 * n, [&] {
      CUDA_CHECK(cudaMemsetAsync(sumsq, 0, sizeof(float)));
      grad_sumsq_multi_tensor(ts, sumsq, nullptr);
    });
    for (auto& t : ts)
      for (void* p : {(void*)t.param, (void*)t.grad, (void*)t.m, (void*)t.v, (void*)t.param_bf16})
        CUDA_CHECK(cudaFree(p));
    CUDA_CHECK(cudaFree(sumsq));
  }
  {
    GemmRunner gemm;
    struct Linear {
      const char* name;
      int out, in;
    };
    const Linear layers[] = {{"qkv", 3 * H, H}, {"attn proj", H, H}, {"fc1", F, H},
                             {"fc2", H, F},     {"lm head", V, H}};
    bf16* act_in = alloc_random<bf16>(rows * size_t(V));  // large enough for every shape
    bf16* act_out = alloc_random<bf16>(rows * size_t(V));
    bf16* w = alloc_random<bf16>(size_t(V) * F);
    float* dw = alloc_random<float>(size_t(V) * F);
    const int M = int(rows);
    for (const Linear& l : layers) {
      const double flops = 2.0 * M * l.out * l.in;
      const std::string shape = dims({M, l.out, l.in});
      report_flops(std::string("gemm fwd ") + l.name, shape, flops, [&] {
        gemm.matmul(act_in, false, w, true, act_out, GemmOut::kBf16, M, l.out, l.in, 1, 0, nullptr,
                    nullptr);
      });
      report_flops(std::string("gemm dgrad ") + l.name, shape, flops, [&] {
        gemm.matmul(act_in, false, w, false, act_out, GemmOut::kBf16, M, l.in, l.out, 1, 0, nullptr,
                    nullptr);
      });
      report_flops(std::string("gemm wgrad ") + l.name, shape, flops, [&] {
        gemm.matmul(act_in, true, act_out, false, dw, GemmOut::kFp32, l.out, l.in, M, 1, 1, nullptr,
                    nullptr);
      });
    }
    report_flops("gemm fwd fc1 +bias", dims({M, F, H}), 2.0 * M * F * H, [&] {
      gemm.matmul(act_in, false, w, true, act_out, GemmOut::kBf16, M, F, H, 1, 0, w, nullptr);
    });
    for (void* p : {(void*)act_in, (void*)act_out, (void*)w, (void*)dw}) CUDA_CHECK(cudaFree(p));
  }
  for (void* p : {(void*)x, (void*)y, (void*)dy, (void*)dx}) CUDA_CHECK(cudaFree(p));
}

}  // namespace
}  // namespace parallax::gpu

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--iters=", 8) == 0)
      parallax::gpu::g_iters = std::atoi(argv[i] + 8);
    else if (std::strcmp(argv[i], "--only=attention") == 0)
      parallax::gpu::g_only_attention = true;
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    std::printf("no CUDA device: nothing to measure\n");
    return 0;
  }
  try {
    parallax::gpu::run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
