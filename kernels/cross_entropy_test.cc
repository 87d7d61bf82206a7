// GPU fused softmax cross-entropy against kernels/cpu/cross_entropy: per-row
// losses (their mean is the CPU's mean loss) and the in-place bf16 dlogits,
// with ignored rows, at the GPT vocabulary size.
#include "kernels/cross_entropy.h"

#include <cstdio>
#include <random>

#include "kernels/cpu/cross_entropy.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

TEST(CrossEntropy, MatchesCpu) {
  SKIP_WITHOUT_GPU();
  const int rows = 48, vocab = 50304;
  std::mt19937 gen(3);
  std::vector<int32_t> t(rows);
  for (auto& x : t) x = gen() % vocab;
  t[5] = -1;
  t[17] = -1;
  t[0] = vocab - 1;
  const int counted = rows - 2;
  auto logits = random_bf16_values(size_t(rows) * vocab, 1, -8.0f, 8.0f);
  std::vector<float> dlogits(logits.size());
  const float loss = cpu::softmax_cross_entropy(logits.data(), t.data(), rows, vocab, dlogits.data());

  DeviceBuffer<__nv_bfloat16> d_logits(to_bf16(logits));
  DeviceBuffer<int32_t> d_t(t);
  DeviceBuffer<float> d_losses(rows);
  softmax_cross_entropy(d_logits.get(), d_t.get(), rows, vocab, 1.0f / counted, d_losses.get(), nullptr);
  const auto losses = d_losses.download();
  double sum = 0;
  for (float l : losses) sum += l;
  const double mean = sum / counted;
  const double ed = rel_error_bf16(d_logits, dlogits);
  std::printf("cross_entropy rel err: loss %.2e (gpu %.6f cpu %.6f) dlogits %.2e\n",
              std::fabs(mean - loss) / loss, mean, loss, ed);
  EXPECT_NEAR(mean, loss, 1e-4 * loss);
  EXPECT_EQ(losses[5], 0.0f);
  EXPECT_LT(ed, 1e-2);
}

}  // namespace
}  // namespace parallax::gpu
