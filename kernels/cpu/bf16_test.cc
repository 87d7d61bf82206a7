// bf16 rounding: exact values survive, ties go to even, NaN/inf survive, and
// the round-trip error is at most half a bf16 ulp (2^-8 relative).
#include "kernels/cpu/bf16.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(Bf16, ExactValuesAndTiesToEven) {
  EXPECT_EQ(bf16_round(1.0f), 1.0f);
  EXPECT_EQ(bf16_round(-2.5f), -2.5f);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even -> 1.
  EXPECT_EQ(bf16_round(1.0f + std::ldexp(1.0f, -8)), 1.0f);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even) -> 1 + 2^-6.
  EXPECT_EQ(bf16_round(1.0f + 3 * std::ldexp(1.0f, -8)), 1.0f + std::ldexp(1.0f, -6));
  // Just above the tie rounds up.
  EXPECT_EQ(bf16_round(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)),
            1.0f + std::ldexp(1.0f, -7));
  EXPECT_EQ(float_to_bf16_bits(1.0f), 0x3f80);
}

TEST(Bf16, SpecialValues) {
  EXPECT_TRUE(std::isnan(bf16_round(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(bf16_round(INFINITY), INFINITY);
  EXPECT_EQ(bf16_round(-INFINITY), -INFINITY);
}

TEST(Bf16, RoundTripErrorIsHalfUlp) {
  auto x = testing::random_vector(10000, 1, -100.0f, 100.0f);
  auto y = x;
  bf16_round_inplace(y.data(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_LE(std::fabs(y[i] - x[i]), std::fabs(x[i]) * std::ldexp(1.0f, -8) * 1.0001f);
    EXPECT_EQ(bf16_round(y[i]), y[i]);  // idempotent
  }
}

}  // namespace
}  // namespace parallax::cpu
