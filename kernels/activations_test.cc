// GPU GELU and SwiGLU forward and backward against kernels/cpu/activations.
#include "kernels/activations.h"

#include <cstdio>

#include "kernels/cpu/activations.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

TEST(Gelu, MatchesCpu) {
  SKIP_WITHOUT_GPU();
  const size_t n = 8 * 12345;
  auto x = random_bf16_values(n, 1, -5.0f, 5.0f), dy = random_bf16_values(n, 2);
  std::vector<float> y(n), dx(n);
  cpu::gelu_forward(x.data(), n, y.data());
  cpu::gelu_backward(dy.data(), x.data(), n, dx.data());
  DeviceBuffer<__nv_bfloat16> d_x(to_bf16(x)), d_dy(to_bf16(dy)), d_y(n), d_dx(n);
  gelu_forward(d_x.get(), n, d_y.get(), nullptr);
  gelu_backward(d_dy.get(), d_x.get(), n, d_dx.get(), nullptr);
  const double ey = rel_error_bf16(d_y, y), edx = rel_error_bf16(d_dx, dx);
  std::printf("gelu rel err: y %.2e dx %.2e\n", ey, edx);
  EXPECT_LT(ey, 1e-2);
  EXPECT_LT(edx, 1e-2);
}

TEST(SwiGlu, MatchesCpu) {
  SKIP_WITHOUT_GPU();
  const int rows = 123, hidden = 344;
  const size_t n_in = size_t(rows) * 2 * hidden, n_out = size_t(rows) * hidden;
  auto gu = random_bf16_values(n_in, 3, -4.0f, 4.0f), dout = random_bf16_values(n_out, 4);
  std::vector<float> out(n_out), dgu(n_in);
  cpu::swiglu_forward(gu.data(), rows, hidden, out.data());
  cpu::swiglu_backward(dout.data(), gu.data(), rows, hidden, dgu.data());
  DeviceBuffer<__nv_bfloat16> d_gu(to_bf16(gu)), d_dout(to_bf16(dout)), d_out(n_out), d_dgu(n_in);
  swiglu_forward(d_gu.get(), rows, hidden, d_out.get(), nullptr);
  swiglu_backward(d_dout.get(), d_gu.get(), rows, hidden, d_dgu.get(), nullptr);
  const double eo = rel_error_bf16(d_out, out), ed = rel_error_bf16(d_dgu, dgu);
  std::printf("swiglu rel err: out %.2e dgate_up %.2e\n", eo, ed);
  EXPECT_LT(eo, 1e-2);
  EXPECT_LT(ed, 1e-2);
}

}  // namespace
}  // namespace parallax::gpu
