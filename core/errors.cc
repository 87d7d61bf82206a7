// Typo suggestions for unknown keys, enum values and preset names.
#include "core/errors.h"

#include <algorithm>

namespace parallax {
namespace {

int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_distance = 1 << 30;
  size_t best_prefix = 0;
  for (const auto& c : candidates) {
    const int d = EditDistance(word, c);
    size_t prefix = 0;  // ties go to the longer common prefix ("tpp" -> "tp", not "pp")
    while (prefix < word.size() && prefix < c.size() && word[prefix] == c[prefix]) ++prefix;
    if (d < best_distance || (d == best_distance && prefix > best_prefix)) {
      best_distance = d, best = c, best_prefix = prefix;
    }
  }
  // A plausible typo: at most a third of the longer word differs.
  const int limit = std::max<int>(2, static_cast<int>(std::max(word.size(), best.size())) / 3);
  return best_distance <= limit ? best : "";
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string c = ClosestMatch(word, candidates);
  return c.empty() ? "" : " (did you mean \"" + c + "\"?)";
}

}  // namespace parallax
