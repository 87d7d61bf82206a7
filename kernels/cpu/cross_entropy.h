// Fused softmax cross-entropy over the vocabulary, fp32 CPU reference.
// logits [rows, vocab]; targets [rows], a negative target marks a row to ignore
// (padding). Returns the mean loss over the counted rows and writes
// dlogits = (softmax(logits) - onehot(target)) / counted_rows (zero on ignored
// rows), i.e. the gradient of that mean. dlogits may alias logits.
#pragma once
#include <cstdint>

namespace parallax::cpu {

float softmax_cross_entropy(const float* logits, const int32_t* targets, int rows, int vocab,
                            float* dlogits);

}  // namespace parallax::cpu
