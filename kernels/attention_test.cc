// GPU flash attention forward (out, lse) and backward (dq, dk, dv), every tile
// variant of attention_variants.h and the default entry points, against the
// fp32 CPU reference kernels/cpu/attention (causal) on the same bf16-exact
// inputs: MHA, GQA and MQA, head_dim 64 and 128, sequences shorter than one
// tile and not multiples of any tile (32..256 rows or keys). Backward
// tolerance is 2e-2: P and dS pass through bf16 before their tensor-core
// products (as in FlashAttention-2).
#include "kernels/attention.h"

#include <cstdio>
#include <stdexcept>

#include "kernels/attention_variants.h"
#include "kernels/cpu/attention.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

class FlashAttentionTest : public ::testing::TestWithParam<AttentionShape> {};

TEST_P(FlashAttentionTest, MatchesCpu) {
  SKIP_WITHOUT_GPU();
  const AttentionShape s = GetParam();
  const cpu::AttentionShape cs{s.batch, s.seq, s.q_heads, s.kv_heads, s.head_dim};
  const size_t nq = size_t(s.batch) * s.seq * s.q_heads * s.head_dim;
  const size_t nkv = size_t(s.batch) * s.seq * s.kv_heads * s.head_dim;
  const size_t nl = size_t(s.batch) * s.q_heads * s.seq;
  auto q = random_bf16_values(nq, 1, -2, 2), k = random_bf16_values(nkv, 2, -2, 2);
  auto v = random_bf16_values(nkv, 3), dout = random_bf16_values(nq, 4);

  std::vector<float> out(nq), lse(nl), dq(nq), dk(nkv), dv(nkv);
  cpu::attention_forward(q.data(), k.data(), v.data(), cs, out.data(), lse.data());

  DeviceBuffer<__nv_bfloat16> d_q(to_bf16(q)), d_k(to_bf16(k)), d_v(to_bf16(v)), d_out(nq),
      d_dout(to_bf16(dout)), d_dq(nq), d_dk(nkv), d_dv(nkv);
  DeviceBuffer<float> d_lse(nl);
  DeviceBuffer<unsigned char> ws(flash_attention_backward_workspace_bytes(s));
  const auto check_forward = [&](const char* name) {
    const auto out_gpu = to_float(d_out.download());
    const double eo = rel_error(out_gpu, out), el = rel_error_f32(d_lse, lse);
    std::printf("attention fwd %-9s b%d s%d hq%d hkv%d d%d rel err: out %.2e lse %.2e\n", name,
                s.batch, s.seq, s.q_heads, s.kv_heads, s.head_dim, eo, el);
    EXPECT_LT(eo, 1e-2) << name;
    EXPECT_LT(el, 1e-3) << name;
  };
  const auto garbage_out = to_bf16(random_bf16_values(nq, 7));
  for (int i = 0; i < attention_forward_variant_count(); ++i) {
    d_out.upload(garbage_out);
    d_lse.upload(std::vector<float>(nl, 1e30f));
    flash_attention_forward_variant(i, d_q.get(), d_k.get(), d_v.get(), s, d_out.get(),
                                    d_lse.get(), nullptr);
    check_forward(attention_forward_variant_name(i));
  }
  flash_attention_forward(d_q.get(), d_k.get(), d_v.get(), s, d_out.get(), d_lse.get(), nullptr);
  check_forward("default");
  // The backward reference uses the GPU's bf16 output, as training would.
  const auto out_gpu = to_float(d_out.download());
  cpu::attention_backward(dout.data(), q.data(), k.data(), v.data(), out_gpu.data(), lse.data(), cs,
                          dq.data(), dk.data(), dv.data());
  const auto check_backward = [&](const char* name) {
    const double eq = rel_error_bf16(d_dq, dq), ek = rel_error_bf16(d_dk, dk),
                 ev = rel_error_bf16(d_dv, dv);
    std::printf("attention bwd %-9s b%d s%d hq%d hkv%d d%d rel err: dq %.2e dk %.2e dv %.2e\n",
                name, s.batch, s.seq, s.q_heads, s.kv_heads, s.head_dim, eq, ek, ev);
    EXPECT_LT(eq, 2e-2) << name;
    EXPECT_LT(ek, 2e-2) << name;
    EXPECT_LT(ev, 2e-2) << name;
  };
  const auto garbage_q = to_bf16(random_bf16_values(nq, 5)),
             garbage_kv = to_bf16(random_bf16_values(nkv, 6));
  for (int i = 0; i < attention_backward_variant_count(); ++i) {
    // Garbage in the outputs: a variant that skips a row cannot pass on the
    // previous variant's results.
    d_dq.upload(garbage_q);
    d_dk.upload(garbage_kv);
    d_dv.upload(garbage_kv);
    flash_attention_backward_variant(i, d_dout.get(), d_q.get(), d_k.get(), d_v.get(), d_out.get(),
                                     d_lse.get(), s, d_dq.get(), d_dk.get(), d_dv.get(), ws.get(),
                                     nullptr);
    check_backward(attention_backward_variant_name(i));
  }
  flash_attention_backward(d_dout.get(), d_q.get(), d_k.get(), d_v.get(), d_out.get(), d_lse.get(),
                           s, d_dq.get(), d_dk.get(), d_dv.get(), ws.get(), nullptr);
  check_backward("default");
}

TEST(FlashAttentionVariants, RejectsUnknownVariant) {
  EXPECT_THROW(attention_forward_variant_name(attention_forward_variant_count()),
               std::invalid_argument);
  EXPECT_THROW(attention_backward_variant_name(-1), std::invalid_argument);
  for (int d : {64, 128}) {
    EXPECT_LT(attention_default_forward_variant(d), attention_forward_variant_count());
    EXPECT_LT(attention_default_backward_variant(d), attention_backward_variant_count());
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, FlashAttentionTest,
                         ::testing::Values(AttentionShape{2, 256, 4, 4, 64},
                                           AttentionShape{1, 200, 8, 2, 128},
                                           AttentionShape{1, 130, 4, 1, 64},
                                           AttentionShape{1, 64, 2, 2, 128},
                                           AttentionShape{1, 1000, 4, 2, 64},
                                           AttentionShape{1, 1024, 2, 1, 128},
                                           AttentionShape{1, 37, 2, 2, 128},
                                           AttentionShape{2, 333, 4, 2, 128}));

}  // namespace
}  // namespace parallax::gpu
