// Lighter-ends stage splits.
#include "planner/stage_split.h"

#include <algorithm>

namespace parallax {

int MaxLighterLayers(int layers, int pp) {
  const int stage = (layers + pp - 1) / pp;
  return std::max(1, (stage + 1) / 2);
}

std::vector<std::vector<int>> UnevenStageSplits(int layers, int pp, int vpp) {
  std::vector<std::vector<int>> out;
  if (pp < 2) return out;
  const int max_light = MaxLighterLayers(layers, pp);
  for (int a = 0; a <= max_light; ++a) {
    for (int b = 0; b <= max_light; ++b) {
      if ((layers + a + b) % pp) continue;
      const int m = (layers + a + b) / pp;
      const int first = m - a, last = m - b;
      if (first < 0 || last < 0 || m % vpp || first % vpp || last % vpp) continue;
      std::vector<int> split(pp, m);
      split.front() = first;
      split.back() = last;
      if (std::count(split.begin(), split.end(), split[0]) == pp) continue;  // the even split
      if (std::find(out.begin(), out.end(), split) == out.end()) out.push_back(std::move(split));
    }
  }
  return out;
}

}  // namespace parallax
