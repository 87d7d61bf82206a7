// AdamW: two steps against the update formula written out by hand in double;
// weight decay acts with zero gradient; clipping scales to max_norm and leaves
// small gradients alone.
#include "kernels/cpu/adamw.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/grad_check.h"

namespace parallax::cpu {
namespace {

TEST(AdamW, TwoStepsMatchFormula) {
  AdamWConfig cfg;
  cfg.lr = 1e-2f;
  cfg.beta1 = 0.9f;
  cfg.beta2 = 0.99f;
  cfg.eps = 1e-8f;
  cfg.weight_decay = 0.1f;
  const size_t n = 64;
  auto p = testing::random_vector(n, 1), g1 = testing::random_vector(n, 2),
       g2 = testing::random_vector(n, 3);
  std::vector<float> m(n, 0.0f), v(n, 0.0f);
  std::vector<double> pr(p.begin(), p.end()), mr(n, 0), vr(n, 0);
  adamw_step(p.data(), g1.data(), m.data(), v.data(), n, cfg, 1);
  adamw_step(p.data(), g2.data(), m.data(), v.data(), n, cfg, 2);
  for (size_t i = 0; i < n; ++i) {
    const double gs[2] = {g1[i], g2[i]};
    for (int t = 1; t <= 2; ++t) {
      const double g = gs[t - 1];
      mr[i] = 0.9 * mr[i] + 0.1 * g;
      vr[i] = 0.99 * vr[i] + 0.01 * g * g;
      const double mhat = mr[i] / (1 - std::pow(0.9, t));
      const double vhat = vr[i] / (1 - std::pow(0.99, t));
      pr[i] -= 1e-2 * (mhat / (std::sqrt(vhat) + 1e-8) + 0.1 * pr[i]);
    }
    EXPECT_NEAR(p[i], pr[i], 1e-6);
    EXPECT_NEAR(m[i], mr[i], 1e-6 * std::fabs(mr[i]) + 1e-9);
    EXPECT_NEAR(v[i], vr[i], 1e-5 * vr[i] + 1e-12);
  }
}

TEST(AdamW, DecoupledDecayWithZeroGradient) {
  AdamWConfig cfg;
  cfg.lr = 0.5f;
  cfg.weight_decay = 0.2f;
  std::vector<float> p = {2.0f, -4.0f}, g = {0.0f, 0.0f}, m = {0, 0}, v = {0, 0};
  adamw_step(p.data(), g.data(), m.data(), v.data(), 2, cfg, 1);
  EXPECT_FLOAT_EQ(p[0], 2.0f * (1 - 0.5f * 0.2f));
  EXPECT_FLOAT_EQ(p[1], -4.0f * (1 - 0.5f * 0.2f));
}

TEST(ClipGradNorm, ScalesToMaxNorm) {
  std::vector<float> a = {3.0f, 0.0f}, b = {4.0f};  // norm 5
  float* grads[] = {a.data(), b.data()};
  const size_t sizes[] = {a.size(), b.size()};
  EXPECT_NEAR(clip_grad_global_norm(grads, sizes, 2, 1.0), 5.0, 1e-9);
  EXPECT_NEAR(grad_global_norm(grads, sizes, 2), 1.0, 1e-6);
  EXPECT_NEAR(a[0] / b[0], 0.75, 1e-6);
  // Under the limit nothing changes.
  EXPECT_NEAR(clip_grad_global_norm(grads, sizes, 2, 10.0), 1.0, 1e-6);
  EXPECT_NEAR(grad_global_norm(grads, sizes, 2), 1.0, 1e-6);
}

}  // namespace
}  // namespace parallax::cpu
