// Dense fp32 matrix product for the CPU backend (tiny models only), plus bias.
// C[M, N] = op(A) · op(B) + beta · C, row-major, op(X) = X or X^T:
//   forward  y = x W^T     matmul(x, W, y, M, N, K, false, true, 0)
//   dgrad   dx = dy W      matmul(dy, W, dx, M, K_in, N_out, false, false, 0)
//   wgrad   dW += dy^T x   matmul(dy, x, dW, N_out, K_in, M, true, false, 1)
// A is [M, K] (or [K, M] if trans_a); B is [K, N] (or [N, K] if trans_b).
#pragma once

namespace parallax::cpu {

void matmul(const float* a, const float* b, float* c, int m, int n, int k, bool trans_a,
            bool trans_b, float beta);

// y[r, :] += bias, y is [rows, cols].
void bias_forward(float* y, const float* bias, int rows, int cols);
// dbias[c] += sum over rows of dy[r, c].
void bias_backward(const float* dy, int rows, int cols, float* dbias);

}  // namespace parallax::cpu
