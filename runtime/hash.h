// SplitMix64 (Steele, Lea, Flood 2014), the counter-based hash behind the
// runtime's deterministic initialisation and data windows: a value depends
// only on its inputs, never on which rank or thread computes it.
#pragma once

#include <cstdint>

namespace parallax {

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace parallax
