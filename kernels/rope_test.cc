// GPU RoPE forward and backward against kernels/cpu/rope, positions up to ~2000
// (large angles), also in place.
#include "kernels/rope.h"

#include <cstdio>

#include "kernels/cpu/rope.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

// head_dim 64 takes the 8-pairs-per-thread path, 24 the one-pair-per-thread path.
class RopeTest : public ::testing::TestWithParam<int> {};

TEST_P(RopeTest, MatchesCpu) {
  SKIP_WITHOUT_GPU();
  const int b = 2, s = 300, h = 4, d = GetParam(), pos0 = 1700;
  const float theta = 10000.0f;
  const size_t n = size_t(b) * s * h * d;
  auto x = random_bf16_values(n, 1), dy = random_bf16_values(n, 2);
  std::vector<float> y(n), dx(n);
  cpu::rope_forward(x.data(), b, s, h, d, theta, pos0, y.data());
  cpu::rope_backward(dy.data(), b, s, h, d, theta, pos0, dx.data());
  DeviceBuffer<__nv_bfloat16> d_x(to_bf16(x)), d_y(n), d_dy(to_bf16(dy));
  rope_forward(d_x.get(), b, s, h, d, theta, pos0, d_y.get(), nullptr);
  rope_backward(d_dy.get(), b, s, h, d, theta, pos0, d_dy.get(), nullptr);  // in place
  const double ey = rel_error_bf16(d_y, y), edx = rel_error_bf16(d_dy, dx);
  std::printf("rope d%d rel err: y %.2e dx (in place) %.2e\n", d, ey, edx);
  EXPECT_LT(ey, 1e-2);
  EXPECT_LT(edx, 1e-2);
}

INSTANTIATE_TEST_SUITE_P(HeadDims, RopeTest, ::testing::Values(64, 128, 24));

}  // namespace
}  // namespace parallax::gpu
