// Units used in names and output: bytes with binary GiB for memory, SI for
// rates (GB/s = 1e9 bytes/s, TFLOP/s = 1e12), seconds for time.
#pragma once

namespace parallax {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGB = 1e9;
constexpr double kTera = 1e12;

}  // namespace parallax
