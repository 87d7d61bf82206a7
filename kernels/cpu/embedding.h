// Token embedding lookup and learned position add, fp32 CPU reference.
// Layouts are row-major: table [vocab, dim], activations [batch * seq, dim].
// Convention for every op in kernels/cpu: gradients of inputs are written
// (overwritten); gradients of parameters (tables, weights, biases) are
// accumulated with +=, so micro-batches can add into one gradient buffer.
#pragma once
#include <cstdint>

namespace parallax::cpu {

// out[i, :] = table[tokens[i], :]. Throws std::out_of_range on a bad token id.
void embedding_forward(const int32_t* tokens, int n_tokens, const float* table, int vocab, int dim,
                       float* out);
// dtable[tokens[i], :] += dout[i, :] (scatter-add; repeated tokens add up).
void embedding_backward(const int32_t* tokens, int n_tokens, const float* dout, int dim,
                        float* dtable);

// x[b, t, :] += pos[t, :] in place, x is [batch, seq, dim], pos is [>= seq, dim].
void position_add_forward(float* x, const float* pos, int batch, int seq, int dim);
// dpos[t, :] += sum over b of dout[b, t, :]. (The gradient of x is dout itself.)
void position_add_backward(const float* dout, int batch, int seq, int dim, float* dpos);

}  // namespace parallax::cpu
