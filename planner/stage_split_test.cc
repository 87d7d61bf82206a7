// Lighter-ends stage splits: the 126-over-16 case of Llama-3 405B, sums,
// vpp divisibility, uniqueness.
#include "planner/stage_split.h"

#include <algorithm>
#include <numeric>
#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

namespace parallax {
namespace {

TEST(StageSplit, Llama405bOver16StagesHasLighterEnds) {
  const auto splits = UnevenStageSplits(126, 16, 1);
  std::vector<int> expected(16, 8);
  expected.front() = 7;
  expected.back() = 7;  // 7 + 14 x 8 + 7 = 126
  EXPECT_NE(std::find(splits.begin(), splits.end(), expected), splits.end());
  expected.front() = 6;
  expected.back() = 8;
  EXPECT_NE(std::find(splits.begin(), splits.end(), expected), splits.end());
}

TEST(StageSplit, EverySplitIsValidAndUnique) {
  for (int layers : {2, 24, 30, 96, 126}) {
    for (int pp = 1; pp <= std::min(layers, 20); ++pp) {
      for (int vpp = 1; vpp <= 4; ++vpp) {
        const auto splits = UnevenStageSplits(layers, pp, vpp);
        std::set<std::vector<int>> seen;
        for (const auto& s : splits) {
          ASSERT_EQ(static_cast<int>(s.size()), pp);
          EXPECT_EQ(std::accumulate(s.begin(), s.end(), 0), layers);
          for (int x : s) {
            EXPECT_GE(x, 0);
            EXPECT_EQ(x % vpp, 0);
          }
          // Not the even split, middle stages equal and no lighter than the ends.
          EXPECT_FALSE(std::all_of(s.begin(), s.end(), [&](int x) { return x == s[0]; }));
          for (int i = 1; i + 1 < pp; ++i) {
            EXPECT_EQ(s[i], s[1]);
            EXPECT_GE(s[i], s.front());
            EXPECT_GE(s[i], s.back());
          }
          EXPECT_TRUE(seen.insert(s).second);
        }
        if (pp == 1) EXPECT_TRUE(splits.empty());
      }
    }
  }
}

TEST(StageSplit, TwoStagesShiftLayersBetweenEnds) {
  // pp 2: first = m - a, last = m - b with a, b <= 6 (half a stage): first = 12 + (b - a) / 2,
  // so d = 1..3 layers moved either way: 6 maps.
  const auto splits = UnevenStageSplits(24, 2, 1);
  EXPECT_EQ(splits.size(), 6u);
  for (const auto& s : splits) EXPECT_LE(std::abs(s[0] - 12), 3);
}

}  // namespace
}  // namespace parallax
