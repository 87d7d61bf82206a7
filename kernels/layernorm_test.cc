// GPU LayerNorm and RMSNorm forward and backward against kernels/cpu, on
// bf16-exact random inputs; weight gradients accumulate onto non-zero values.
#include "kernels/layernorm.h"

#include <cstdio>

#include "kernels/cpu/layernorm.h"
#include "kernels/cpu/rmsnorm.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

class NormTest : public ::testing::TestWithParam<int> {};

TEST_P(NormTest, LayerNormMatchesCpu) {
  SKIP_WITHOUT_GPU();
  const int rows = 300, dim = GetParam();
  auto x = random_bf16_values(size_t(rows) * dim, 1, -3.0f, 4.0f);
  auto w = random_bf16_values(dim, 2, 0.5f, 1.5f), b = random_bf16_values(dim, 3);
  auto dy = random_bf16_values(size_t(rows) * dim, 4);
  auto dw0 = random_vector(dim, 5), db0 = random_vector(dim, 6);
  std::vector<float> y(x.size()), mean(rows), rstd(rows), dx(x.size()), dw = dw0, db = db0;
  cpu::layernorm_forward(x.data(), w.data(), b.data(), rows, dim, 1e-5f, y.data(), mean.data(), rstd.data());
  cpu::layernorm_backward(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), rows, dim,
                          dx.data(), dw.data(), db.data());

  DeviceBuffer<__nv_bfloat16> d_x(to_bf16(x)), d_w(to_bf16(w)), d_b(to_bf16(b)), d_y(x.size()),
      d_dy(to_bf16(dy)), d_dx(x.size());
  DeviceBuffer<float> d_mean(rows), d_rstd(rows), d_dw(dw0), d_db(db0);
  layernorm_forward(d_x.get(), d_w.get(), d_b.get(), rows, dim, 1e-5f, d_y.get(), d_mean.get(),
                    d_rstd.get(), nullptr);
  layernorm_backward(d_dy.get(), d_x.get(), d_w.get(), d_mean.get(), d_rstd.get(), rows, dim,
                     d_dx.get(), d_dw.get(), d_db.get(), nullptr);
  const double ey = rel_error_bf16(d_y, y), em = rel_error_f32(d_mean, mean),
               er = rel_error_f32(d_rstd, rstd), edx = rel_error_bf16(d_dx, dx),
               edw = rel_error_f32(d_dw, dw), edb = rel_error_f32(d_db, db);
  std::printf("layernorm dim %d rel err: y %.2e mean %.2e rstd %.2e dx %.2e dw %.2e db %.2e\n",
              dim, ey, em, er, edx, edw, edb);
  EXPECT_LT(ey, 1e-2);
  EXPECT_LT(em, 1e-4);
  EXPECT_LT(er, 1e-4);
  EXPECT_LT(edx, 1e-2);
  EXPECT_LT(edw, 1e-4);
  EXPECT_LT(edb, 1e-4);
}

TEST_P(NormTest, RmsNormMatchesCpu) {
  SKIP_WITHOUT_GPU();
  const int rows = 300, dim = GetParam();
  auto x = random_bf16_values(size_t(rows) * dim, 11, -3.0f, 4.0f);
  auto w = random_bf16_values(dim, 12, 0.5f, 1.5f);
  auto dy = random_bf16_values(size_t(rows) * dim, 14);
  auto dw0 = random_vector(dim, 15);
  std::vector<float> y(x.size()), rstd(rows), dx(x.size()), dw = dw0;
  cpu::rmsnorm_forward(x.data(), w.data(), rows, dim, 1e-6f, y.data(), rstd.data());
  cpu::rmsnorm_backward(dy.data(), x.data(), w.data(), rstd.data(), rows, dim, dx.data(), dw.data());

  DeviceBuffer<__nv_bfloat16> d_x(to_bf16(x)), d_w(to_bf16(w)), d_y(x.size()), d_dy(to_bf16(dy)),
      d_dx(x.size());
  DeviceBuffer<float> d_rstd(rows), d_dw(dw0);
  rmsnorm_forward(d_x.get(), d_w.get(), rows, dim, 1e-6f, d_y.get(), d_rstd.get(), nullptr);
  rmsnorm_backward(d_dy.get(), d_x.get(), d_w.get(), d_rstd.get(), rows, dim, d_dx.get(),
                   d_dw.get(), nullptr);
  const double ey = rel_error_bf16(d_y, y), er = rel_error_f32(d_rstd, rstd),
               edx = rel_error_bf16(d_dx, dx), edw = rel_error_f32(d_dw, dw);
  std::printf("rmsnorm dim %d rel err: y %.2e rstd %.2e dx %.2e dw %.2e\n", dim, ey, er, edx, edw);
  EXPECT_LT(ey, 1e-2);
  EXPECT_LT(er, 1e-4);
  EXPECT_LT(edx, 1e-2);
  EXPECT_LT(edw, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Dims, NormTest, ::testing::Values(8, 264, 2048));

}  // namespace
}  // namespace parallax::gpu
