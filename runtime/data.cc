// Token sources (see data.h). Window offsets come from a SplitMix64 hash of
// (seed, step, sequence), so they do not depend on who asks or in what order.
#include "runtime/data.h"

#include <fstream>
#include <iterator>

#include "core/errors.h"
#include "runtime/hash.h"

namespace parallax {
TokenData SyntheticTokens(int64_t vocab, uint64_t seed, int64_t length) {
  if (vocab < 2) throw SpecError("data: synthetic tokens need vocab >= 2, got " + std::to_string(vocab));
  TokenData d;
  d.name = "synthetic";
  d.vocab = vocab;
  d.seed = seed;
  d.tokens.resize(length);
  uint64_t prev = 0;
  for (int64_t i = 0; i < length; ++i) {
    const uint64_t r = SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(i) + 1));
    prev = (r & 3) ? SplitMix64(seed + 0x5bd1e995ULL * (prev + 1)) % vocab : (r >> 2) % vocab;
    d.tokens[i] = static_cast<int32_t>(prev);
  }
  return d;
}

TokenData LoadTokenFile(const std::string& path, uint64_t seed) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpecError("--data: cannot read " + path);
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  TokenData d;
  d.name = path;
  d.seed = seed;
  const bool uint16 = path.size() > 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
  if (uint16) {
    if (bytes.size() % 2) throw SpecError("--data: " + path + " (.bin) must hold uint16 tokens, size is odd");
    d.tokens.resize(bytes.size() / 2);
    for (size_t i = 0; i < d.tokens.size(); ++i) {
      d.tokens[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
      d.vocab = std::max<int64_t>(d.vocab, d.tokens[i] + 1);
    }
  } else {
    d.tokens.assign(bytes.begin(), bytes.end());
    d.vocab = 256;
  }
  if (d.tokens.size() < 2) throw SpecError("--data: " + path + " holds fewer than 2 tokens");
  return d;
}

TokenData OpenTokenData(const std::string& spec, int64_t model_vocab, uint64_t seed) {
  TokenData d = spec == "synthetic" ? SyntheticTokens(model_vocab, seed) : LoadTokenFile(spec, seed);
  if (d.vocab > model_vocab)
    throw SpecError("--data: " + d.name + " has token ids up to " + std::to_string(d.vocab - 1) +
                    " but the model vocab is " + std::to_string(model_vocab));
  return d;
}

TokenBatch GetBatch(const TokenData& data, int64_t step, int64_t first_sequence, int rows, int seq) {
  const int64_t n = static_cast<int64_t>(data.tokens.size());
  if (n < seq + 1)
    throw SpecError("--data: " + data.name + " has " + std::to_string(n) + " tokens, fewer than seq + 1 = " +
                    std::to_string(seq + 1));
  TokenBatch b;
  b.rows = rows;
  b.seq = seq;
  b.tokens.resize(static_cast<size_t>(rows) * seq);
  b.targets.resize(b.tokens.size());
  for (int r = 0; r < rows; ++r) {
    const uint64_t key = SplitMix64(data.seed ^ SplitMix64(static_cast<uint64_t>(step) * 0x100000001b3ULL +
                                             static_cast<uint64_t>(first_sequence + r)));
    const int64_t start = static_cast<int64_t>(key % static_cast<uint64_t>(n - seq));
    for (int t = 0; t < seq; ++t) {
      b.tokens[static_cast<size_t>(r) * seq + t] = data.tokens[start + t];
      b.targets[static_cast<size_t>(r) * seq + t] = data.tokens[start + t + 1];
    }
  }
  return b;
}

}  // namespace parallax
