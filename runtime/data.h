// Token sources for the CPU backend, deterministic per (step, sequence): the
// global batch of a step is sequences 0..global_batch-1, and a rank's
// micro-batch j is the consecutive block of sequences
// (dp_rank * micro_batches + j) * micro_batch, ... — so any split of the same
// global batch over dp ranks and micro-batches sees the same tokens.
// Sources: synthetic (a seeded bigram chain, learnable, any vocab), a file of
// little-endian uint16 token ids (".bin"), or the raw bytes of any file
// (vocab 256). Each sequence is a window of seq + 1 tokens at a hashed offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parallax {

struct TokenData {
  std::string name;              // "synthetic", or the file path
  std::vector<int32_t> tokens;   // the stream windows are cut from
  int64_t vocab = 0;             // ids are < vocab
  uint64_t seed = 0;             // picks the windows
};

// A seeded stream of `length` tokens: each token is with probability 3/4 a
// fixed hash of the previous one, else uniform — a bigram chain a model can learn.
TokenData SyntheticTokens(int64_t vocab, uint64_t seed, int64_t length = 1 << 20);
// "*.bin": uint16 token ids; anything else: its bytes (vocab 256). Throws
// SpecError naming the file if it cannot be read or is too short.
TokenData LoadTokenFile(const std::string& path, uint64_t seed);
// "synthetic" or a path (as the --data flag takes it).
TokenData OpenTokenData(const std::string& spec, int64_t model_vocab, uint64_t seed);

struct TokenBatch {
  int rows = 0, seq = 0;
  std::vector<int32_t> tokens, targets;  // [rows * seq]; targets are tokens shifted by one
};

// Sequences [first_sequence, first_sequence + rows) of step `step`.
TokenBatch GetBatch(const TokenData& data, int64_t step, int64_t first_sequence, int rows, int seq);

// First global sequence index of micro-batch `micro_batch` of `dp_rank`.
inline int64_t FirstSequence(int dp_rank, int micro_batches, int micro_batch, int rows) {
  return (static_cast<int64_t>(dp_rank) * micro_batches + micro_batch) * rows;
}

}  // namespace parallax
