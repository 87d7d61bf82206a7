// cuBLASLt GEMM wrapper against kernels/cpu/matmul on bf16-exact inputs: all
// four transpose combinations (forward, dgrad, wgrad shapes), bf16 and fp32
// output, bias epilogue, beta = 1 accumulation, and plan caching.
#include "kernels/gemm.h"

#include <cstdio>

#include "kernels/cpu/matmul.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

TEST(Gemm, MatchesCpuForAllTransposes) {
  SKIP_WITHOUT_GPU();
  GemmRunner runner;
  const int m = 200, n = 136, k = 72;
  int seed = 0;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (GemmOut out : {GemmOut::kBf16, GemmOut::kFp32})
        for (int with_bias = 0; with_bias < 2; ++with_bias) {
          auto a = random_bf16_values(size_t(m) * k, ++seed), b = random_bf16_values(size_t(k) * n, ++seed);
          auto bias = random_bf16_values(n, ++seed);
          auto c0 = random_bf16_values(size_t(m) * n, ++seed);
          // fp32 output accumulates onto C (beta = 1, the wgrad case); bf16 overwrites.
          const float beta = out == GemmOut::kFp32 ? 1.0f : 0.0f;
          std::vector<float> ref = c0;
          cpu::matmul(a.data(), b.data(), ref.data(), m, n, k, ta, tb, beta);
          if (with_bias) cpu::bias_forward(ref.data(), bias.data(), m, n);

          DeviceBuffer<__nv_bfloat16> d_a(to_bf16(a)), d_b(to_bf16(b)), d_bias_bf(to_bf16(bias));
          DeviceBuffer<float> d_bias_f(bias);
          double err;
          if (out == GemmOut::kBf16) {
            DeviceBuffer<__nv_bfloat16> d_c(size_t(m) * n);
            runner.matmul(d_a.get(), ta, d_b.get(), tb, d_c.get(), out, m, n, k, 1.0f, beta,
                          with_bias ? d_bias_bf.get() : nullptr, nullptr);
            err = rel_error_bf16(d_c, ref);
            EXPECT_LT(err, 1e-2);
          } else {
            DeviceBuffer<float> d_c(c0);
            runner.matmul(d_a.get(), ta, d_b.get(), tb, d_c.get(), out, m, n, k, 1.0f, beta,
                          with_bias ? d_bias_f.get() : nullptr, nullptr);
            err = rel_error_f32(d_c, ref);
            EXPECT_LT(err, 1e-5);
          }
          std::printf("gemm ta=%d tb=%d out=%s bias=%d rel err %.2e\n", ta, tb,
                      out == GemmOut::kBf16 ? "bf16" : "fp32", with_bias, err);
        }
  EXPECT_EQ(runner.cached_plans(), 16u);
  // Same shapes again reuse the cached plans.
  auto a = random_bf16_values(size_t(m) * k, 99), b = random_bf16_values(size_t(k) * n, 98);
  DeviceBuffer<__nv_bfloat16> d_a(to_bf16(a)), d_b(to_bf16(b)), d_c(size_t(m) * n);
  runner.matmul(d_a.get(), false, d_b.get(), false, d_c.get(), GemmOut::kBf16, m, n, k, 1.0f, 0.0f,
                nullptr, nullptr);
  EXPECT_EQ(runner.cached_plans(), 16u);
}

}  // namespace
}  // namespace parallax::gpu
