// Token sources: determinism, independence from the dp/micro-batch split,
// file formats and the learnable structure of the synthetic stream.
#include "runtime/data.h"

#include <cstdio>
#include <fstream>
#include <map>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace parallax {
namespace {

TEST(Data, SplitOfGlobalBatchSeesTheSameSequences) {
  const TokenData d = SyntheticTokens(100, 5, 5000);
  const int seq = 16, global = 8;
  const TokenBatch whole = GetBatch(d, 3, 0, global, seq);
  for (int dp : {1, 2, 4}) {
    const int m = global / dp / 2, rows = 2;  // 2 sequences per micro-batch
    for (int r = 0; r < dp; ++r)
      for (int j = 0; j < m; ++j) {
        const int64_t first = FirstSequence(r, m, j, rows);
        const TokenBatch b = GetBatch(d, 3, first, rows, seq);
        for (int i = 0; i < rows * seq; ++i) {
          ASSERT_EQ(b.tokens[i], whole.tokens[first * seq + i]);
          ASSERT_EQ(b.targets[i], whole.targets[first * seq + i]);
        }
      }
  }
}

TEST(Data, TargetsAreNextTokensAndStepsDiffer) {
  const TokenData d = SyntheticTokens(50, 1, 4000);
  const TokenBatch a = GetBatch(d, 0, 0, 1, 32), b = GetBatch(d, 1, 0, 1, 32);
  for (int t = 0; t + 1 < 32; ++t) EXPECT_EQ(a.targets[t], a.tokens[t + 1]);
  EXPECT_NE(a.tokens, b.tokens);
}

TEST(Data, SyntheticIsAMostlyDeterministicBigramChain) {
  const TokenData d = SyntheticTokens(64, 9, 100000);
  std::map<std::pair<int, int>, int> pairs;
  std::map<int, int> firsts;
  for (size_t i = 0; i + 1 < d.tokens.size(); ++i) {
    ++pairs[{d.tokens[i], d.tokens[i + 1]}];
    ++firsts[d.tokens[i]];
  }
  std::map<int, int> best;
  for (const auto& [p, n] : pairs) best[p.first] = std::max(best[p.first], n);
  int64_t predictable = 0;
  for (const auto& [t, n] : best) predictable += n;
  // 3/4 follow the fixed successor, plus 1/4 x 1/64 by chance.
  EXPECT_NEAR(static_cast<double>(predictable) / (d.tokens.size() - 1), 0.75 + 0.25 / 64, 0.01);
}

TEST(Data, BytesAndUint16Files) {
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream(dir + "/t.txt") << "hello world";
    const uint16_t ids[4] = {1, 300, 2, 65535};
    std::ofstream(dir + "/t.bin", std::ios::binary).write(reinterpret_cast<const char*>(ids), sizeof(ids));
  }
  const TokenData text = LoadTokenFile(dir + "/t.txt", 0);
  EXPECT_EQ(text.vocab, 256);
  EXPECT_EQ(text.tokens.size(), 11u);
  EXPECT_EQ(text.tokens[0], 'h');
  const TokenData bin = LoadTokenFile(dir + "/t.bin", 0);
  EXPECT_EQ(bin.tokens, (std::vector<int32_t>{1, 300, 2, 65535}));
  EXPECT_EQ(bin.vocab, 65536);
  EXPECT_THROW(OpenTokenData(dir + "/t.bin", 1000, 0), SpecError);  // ids exceed the vocab
  EXPECT_THROW(LoadTokenFile(dir + "/missing.txt", 0), SpecError);
  EXPECT_THROW(GetBatch(text, 0, 0, 1, 11), SpecError);  // needs seq + 1 tokens
}

}  // namespace
}  // namespace parallax
