// SplitMix64 (Steele, Lea, Flood 2014), the counter-based hash behind the
// runtime's deterministic initialisation and data windows: a value depends
// only on its inputs, never on which rank or thread computes it. Host and
// device code share these functions (the GPU runtime initialises its weights
// with them), so both backends start from the same model.
#pragma once

#include <math.h>

#include <cstdint>

#ifdef __CUDACC__
#define PARALLAX_HOST_DEVICE __host__ __device__
#else
#define PARALLAX_HOST_DEVICE
#endif

namespace parallax {

PARALLAX_HOST_DEVICE inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Standard normal (Box-Muller on two 53-bit uniforms) of element `index` of
// parameter `param_id` under `seed`.
PARALLAX_HOST_DEVICE inline float HashNormalOf(uint64_t seed, uint64_t param_id, uint64_t index) {
  const uint64_t base =
      SplitMix64(SplitMix64(seed) ^ SplitMix64(param_id * 0x632be59bd9b4e019ULL) ^ index);
  const uint64_t a = SplitMix64(base), b = SplitMix64(base ^ 0xd6e8feb86659fd93ULL);
  const double u1 = (static_cast<double>(a >> 11) + 1.0) / 9007199254740993.0;  // (0, 1]
  const double u2 = static_cast<double>(b >> 11) / 9007199254740992.0;          // [0, 1)
  return static_cast<float>(::sqrt(-2.0 * ::log(u1)) * ::cos(2.0 * 3.14159265358979323846 * u2));
}

}  // namespace parallax
