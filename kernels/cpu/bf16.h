// bf16 emulation on the CPU: float <-> bfloat16 bit patterns with
// round-to-nearest-even, and a round trip that makes an fp32 array hold only
// bf16-representable values. The CPU backend uses it to mimic bf16 activations;
// GPU tests use the bit conversions to build bf16 inputs on the host.
#pragma once
#include <cstddef>
#include <cstdint>

namespace parallax::cpu {

// Nearest bf16 (ties to even); NaN stays a quiet NaN, infinities stay.
uint16_t float_to_bf16_bits(float x);
float bf16_bits_to_float(uint16_t bits);
inline float bf16_round(float x) { return bf16_bits_to_float(float_to_bf16_bits(x)); }
void bf16_round_inplace(float* x, size_t n);

}  // namespace parallax::cpu
