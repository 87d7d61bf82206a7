// bf16 round trip (see bf16.h).
#include "kernels/cpu/bf16.h"

#include <cstring>

namespace parallax::cpu {

uint16_t float_to_bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<uint16_t>(u >> 16);
}

float bf16_bits_to_float(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

void bf16_round_inplace(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = bf16_round(x[i]);
}

}  // namespace parallax::cpu
