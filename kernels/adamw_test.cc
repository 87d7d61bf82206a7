// GPU multi-tensor AdamW against kernels/cpu/adamw: two steps over tensors of
// awkward sizes (one element, chunk edges, more than 64 tensors so the list is
// split over launches), the bf16 weight copy, and global-norm clipping.
#include "kernels/adamw.h"

#include <cstdio>
#include <memory>

#include "kernels/cpu/adamw.h"
#include "kernels/gpu_test_util.h"

namespace parallax::gpu {
namespace {

using namespace testing;

struct HostTensor {
  std::vector<float> p, g1, g2, m, v;
};

void run(bool clip) {
  std::vector<size_t> sizes = {1, 1000, 16384, 16385, 70001, 33};
  for (int i = 0; i < 70; ++i) sizes.push_back(8 + 13 * i);
  AdamWConfig cfg;
  cfg.lr = 1e-2f;
  cpu::AdamWConfig ccfg{cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, cfg.weight_decay};
  const float max_norm = 1.0f;

  std::vector<HostTensor> host(sizes.size());
  std::vector<std::unique_ptr<DeviceBuffer<float>>> bufs;
  std::vector<std::unique_ptr<DeviceBuffer<__nv_bfloat16>>> copies;
  std::vector<AdamWTensor> dev;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const size_t n = sizes[i];
    host[i] = {random_vector(n, 10 * i + 1), random_vector(n, 10 * i + 2),
               random_vector(n, 10 * i + 3), std::vector<float>(n, 0.0f), std::vector<float>(n, 0.0f)};
    for (auto* v : {&host[i].p, &host[i].g1, &host[i].m, &host[i].v})
      bufs.push_back(std::make_unique<DeviceBuffer<float>>(*v));
    copies.push_back(std::make_unique<DeviceBuffer<__nv_bfloat16>>(n));
    const size_t b = bufs.size() - 4;
    dev.push_back({bufs[b]->get(), bufs[b + 1]->get(), bufs[b + 2]->get(), bufs[b + 3]->get(),
                   copies.back()->get(), n});
  }
  DeviceBuffer<float> sumsq(1);
  for (int step = 1; step <= 2; ++step) {
    // CPU reference.
    std::vector<float*> grads;
    std::vector<size_t> ns;
    for (auto& h : host) {
      grads.push_back(step == 1 ? h.g1.data() : h.g2.data());
      ns.push_back(h.p.size());
    }
    std::vector<std::vector<float>> clipped;
    for (size_t i = 0; i < host.size(); ++i) clipped.emplace_back(grads[i], grads[i] + ns[i]);
    std::vector<float*> cg;
    for (auto& c : clipped) cg.push_back(c.data());
    double norm = cpu::grad_global_norm(cg.data(), ns.data(), int(cg.size()));
    if (clip) cpu::clip_grad_global_norm(cg.data(), ns.data(), int(cg.size()), max_norm);
    for (size_t i = 0; i < host.size(); ++i)
      cpu::adamw_step(host[i].p.data(), cg[i], host[i].m.data(), host[i].v.data(), ns[i], ccfg, step);
    // GPU.
    if (step == 2)
      for (size_t i = 0; i < host.size(); ++i) bufs[4 * i + 1]->upload(host[i].g2);
    CUDA_CHECK(cudaMemset(sumsq.get(), 0, sizeof(float)));
    grad_sumsq_multi_tensor(dev, sumsq.get(), nullptr);
    const float gpu_sumsq = sumsq.download()[0];
    EXPECT_NEAR(gpu_sumsq, norm * norm, 1e-5 * norm * norm);
    adamw_multi_tensor(dev, cfg, step, clip ? sumsq.get() : nullptr, max_norm, nullptr);
  }
  double worst_p = 0, worst_m = 0, worst_v = 0, worst_bf16 = 0;
  for (size_t i = 0; i < host.size(); ++i) {
    worst_p = std::max(worst_p, rel_error(bufs[4 * i]->download(), host[i].p));
    worst_m = std::max(worst_m, rel_error(bufs[4 * i + 2]->download(), host[i].m));
    worst_v = std::max(worst_v, rel_error(bufs[4 * i + 3]->download(), host[i].v));
    worst_bf16 = std::max(worst_bf16, rel_error(to_float(copies[i]->download()), host[i].p));
  }
  std::printf("adamw clip=%d worst rel err: param %.2e m %.2e v %.2e bf16 copy %.2e\n", clip,
              worst_p, worst_m, worst_v, worst_bf16);
  EXPECT_LT(worst_p, 1e-5);
  EXPECT_LT(worst_m, 1e-5);
  EXPECT_LT(worst_v, 1e-5);
  EXPECT_LT(worst_bf16, 1e-2);
}

TEST(AdamW, TwoStepsMatchCpu) {
  SKIP_WITHOUT_GPU();
  run(false);
}

TEST(AdamW, TwoStepsWithGlobalNormClipMatchCpu) {
  SKIP_WITHOUT_GPU();
  run(true);
}

}  // namespace
}  // namespace parallax::gpu
