// Rotary position embedding (RoPE), rotate-half convention of GPT-NeoX / Llama,
// fp32 CPU reference. x is [batch, seq, heads, head_dim]; position of token t is
// pos0 + t. For i < head_dim / 2, with angle = pos * theta^(-2i / head_dim):
//   y[i]          = x[i] cos - x[i + d/2] sin
//   y[i + d/2]    = x[i + d/2] cos + x[i] sin
// The backward is the inverse rotation (the rotation is orthogonal). In place is fine.
#pragma once

namespace parallax::cpu {

void rope_forward(const float* x, int batch, int seq, int heads, int head_dim, float theta,
                  int pos0, float* y);
void rope_backward(const float* dy, int batch, int seq, int heads, int head_dim, float theta,
                   int pos0, float* dx);

}  // namespace parallax::cpu
