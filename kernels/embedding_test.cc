// GPU embedding (+ position) forward and backward against kernels/cpu/embedding.
#include "kernels/embedding.h"

#include <cstdio>
#include <random>

#include "kernels/cpu/embedding.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

TEST(Embedding, ForwardAndBackwardMatchCpu) {
  SKIP_WITHOUT_GPU();
  const int batch = 3, seq = 37, dim = 128, vocab = 500, n = batch * seq;
  std::mt19937 gen(7);
  std::vector<int32_t> tok(n);
  for (auto& t : tok) t = gen() % 40;  // few distinct ids: many repeats for the scatter-add
  auto wte = random_bf16_values(size_t(vocab) * dim, 1), wpe = random_bf16_values(size_t(seq) * dim, 2);
  auto dout = random_bf16_values(size_t(n) * dim, 3);

  std::vector<float> ref(size_t(n) * dim);
  cpu::embedding_forward(tok.data(), n, wte.data(), vocab, dim, ref.data());
  cpu::position_add_forward(ref.data(), wpe.data(), batch, seq, dim);
  std::vector<float> ref_dwte(size_t(vocab) * dim, 0.0f), ref_dwpe(size_t(seq) * dim, 0.0f);
  cpu::embedding_backward(tok.data(), n, dout.data(), dim, ref_dwte.data());
  cpu::position_add_backward(dout.data(), batch, seq, dim, ref_dwpe.data());

  DeviceBuffer<int32_t> d_tok(tok);
  DeviceBuffer<__nv_bfloat16> d_wte(to_bf16(wte)), d_wpe(to_bf16(wpe)), d_out(size_t(n) * dim),
      d_dout(to_bf16(dout));
  DeviceBuffer<float> d_dwte(std::vector<float>(size_t(vocab) * dim, 0.0f)),
      d_dwpe(std::vector<float>(size_t(seq) * dim, 0.0f));
  embedding_forward(d_tok.get(), d_wte.get(), d_wpe.get(), batch, seq, dim, d_out.get(), nullptr);
  embedding_backward(d_tok.get(), d_dout.get(), batch, seq, dim, d_dwte.get(), d_dwpe.get(), nullptr);
  const double e_out = rel_error_bf16(d_out, ref), e_dwte = rel_error_f32(d_dwte, ref_dwte),
               e_dwpe = rel_error_f32(d_dwpe, ref_dwpe);
  std::printf("embedding rel err: out %.2e dwte %.2e dwpe %.2e\n", e_out, e_dwte, e_dwpe);
  EXPECT_LT(e_out, 1e-2);
  EXPECT_LT(e_dwte, 1e-5);
  EXPECT_LT(e_dwpe, 1e-5);
}

}  // namespace
}  // namespace parallax::gpu
