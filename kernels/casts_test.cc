// GPU casts are bit-exact against the CPU round-to-nearest-even, including the
// scalar tail (odd n) and values near rounding ties.
#include "kernels/casts.h"

#include <cstring>

#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

TEST(Casts, Fp32ToBf16IsRoundToNearestEven) {
  SKIP_WITHOUT_GPU();
  const size_t n = 1000003;  // not a multiple of 8
  auto x = random_vector(n, 1, -1000.0f, 1000.0f);
  for (size_t i = 0; i < 1000; ++i) {  // exact ties: 1 + (2j+1) 2^-8
    x[i] = 1.0f + (2 * (i % 64) + 1) * std::ldexp(1.0f, -8);
  }
  DeviceBuffer<float> in(x);
  DeviceBuffer<__nv_bfloat16> out(n);
  cast_fp32_to_bf16(in.get(), out.get(), n, nullptr);
  auto got = out.download();
  size_t mismatches = 0;
  for (size_t i = 0; i < n; ++i) {
    uint16_t bits;
    std::memcpy(&bits, &got[i], 2);
    mismatches += bits != cpu::float_to_bf16_bits(x[i]);
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Casts, Bf16ToFp32IsExact) {
  SKIP_WITHOUT_GPU();
  const size_t n = 4099;
  auto x = random_bf16_values(n, 2, -50.0f, 50.0f);
  DeviceBuffer<__nv_bfloat16> in(to_bf16(x));
  DeviceBuffer<float> out(n);
  cast_bf16_to_fp32(in.get(), out.get(), n, nullptr);
  EXPECT_EQ(out.download(), x);
}

}  // namespace
}  // namespace parallax::gpu
