// Writing output files all-or-nothing: the text goes to a temporary file in
// the same folder, which is renamed into place, so a failure never leaves a
// half-written report or plan behind.
#pragma once

#include <string>

namespace parallax {

// Throws SpecError naming the path if it cannot be written.
void WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace parallax
