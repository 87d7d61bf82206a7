// Embedding lookup, scatter-add backward and learned position add (see embedding.h).
#include "kernels/cpu/embedding.h"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace parallax::cpu {

void embedding_forward(const int32_t* tokens, int n_tokens, const float* table, int vocab, int dim,
                       float* out) {
  for (int i = 0; i < n_tokens; ++i) {
    const int32_t t = tokens[i];
    if (t < 0 || t >= vocab)
      throw std::out_of_range("embedding_forward: token " + std::to_string(t) + " not in [0, vocab)");
    const float* row = table + static_cast<size_t>(t) * dim;
    float* o = out + static_cast<size_t>(i) * dim;
    for (int c = 0; c < dim; ++c) o[c] = row[c];
  }
}

void embedding_backward(const int32_t* tokens, int n_tokens, const float* dout, int dim,
                        float* dtable) {
  for (int i = 0; i < n_tokens; ++i) {
    float* row = dtable + static_cast<size_t>(tokens[i]) * dim;
    const float* g = dout + static_cast<size_t>(i) * dim;
    for (int c = 0; c < dim; ++c) row[c] += g[c];
  }
}

void position_add_forward(float* x, const float* pos, int batch, int seq, int dim) {
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < seq; ++t) {
      float* o = x + (static_cast<size_t>(b) * seq + t) * dim;
      const float* p = pos + static_cast<size_t>(t) * dim;
      for (int c = 0; c < dim; ++c) o[c] += p[c];
    }
}

void position_add_backward(const float* dout, int batch, int seq, int dim, float* dpos) {
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < seq; ++t) {
      const float* g = dout + (static_cast<size_t>(b) * seq + t) * dim;
      float* p = dpos + static_cast<size_t>(t) * dim;
      for (int c = 0; c < dim; ++c) p[c] += g[c];
    }
}

}  // namespace parallax::cpu
