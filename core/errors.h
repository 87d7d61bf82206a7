// Error type for bad user input (files, flags, impossible configurations).
// Every SpecError message is one line that names where the problem is (file,
// JSON path or flag) and the rule it breaks; the CLI prints it and exits 2.
// Internal failures use other exception types and exit 1.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace parallax {

class SpecError : public std::runtime_error {
 public:
  explicit SpecError(const std::string& message) : std::runtime_error(message) {}
};

// Closest candidate to `word` by edit distance, or "" when none is close
// enough to be a plausible typo. Used for "unknown key (did you mean ...)".
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" or "" — appended to unknown-name errors.
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace parallax
