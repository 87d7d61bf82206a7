// Pointwise MLP activations, fp32 CPU reference, forward and backward.
// GELU uses the tanh approximation (GPT-2). SwiGLU takes the fused output of
// one up-projection GEMM, gate_up [rows, 2 * hidden] = [gate | up] per row,
// and gives out [rows, hidden] = silu(gate) * up (Llama MLP).
#pragma once
#include <cstddef>

namespace parallax::cpu {

float gelu(float x);       // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
float gelu_grad(float x);  // d gelu / dx
void gelu_forward(const float* x, size_t n, float* y);
void gelu_backward(const float* dy, const float* x, size_t n, float* dx);

void swiglu_forward(const float* gate_up, int rows, int hidden, float* out);
// dgate_up [rows, 2 * hidden] is written: [dgate | dup].
void swiglu_backward(const float* dout, const float* gate_up, int rows, int hidden,
                     float* dgate_up);

}  // namespace parallax::cpu
