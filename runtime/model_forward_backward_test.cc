// Finite-difference check of the whole model's gradient (GPT-style gpt-tiny
// and a Llama-style GQA model), and the loss at initialisation against ln(V).
// The ops are fp32, so each tensor is checked along a direction (half the
// normalised analytic gradient, half a random unit vector): the central
// difference of the loss along it, in double, must match g . d. A wrong sign,
// scale or missing term in any tensor's gradient moves g . d by O(|g|).
#include "runtime/model_forward_backward.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/test_models.h"

namespace parallax {
namespace {

struct Tokens {
  std::vector<int32_t> tokens, targets;
};

Tokens RandomTokens(int n, int64_t vocab, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, static_cast<int>(vocab) - 1);
  Tokens t;
  for (int i = 0; i < n; ++i) {
    t.tokens.push_back(dist(gen));
    t.targets.push_back(dist(gen));
  }
  return t;
}

void CheckGradients(const ModelSpec& m, int batch, int seq) {
  const ModelLayout layout = BuildLayout(m);
  std::vector<float> params(layout.padded_size), grads(layout.padded_size, 0.0f);
  InitParams(layout, 7, params.data());
  // Larger weights than the 0.02 init so every tensor has a sizeable gradient.
  std::mt19937 gen(3);
  std::normal_distribution<float> noise(0.0f, 0.2f);
  for (const ParamTensor& t : layout.tensors)
    for (int64_t i = 0; i < t.size(); ++i) params[t.offset + i] += noise(gen);
  const Tokens tk = RandomTokens(batch * seq, m.vocab, 11);
  Activations acts;
  ModelForward(layout, params.data(), tk.tokens.data(), tk.targets.data(), batch, seq, &acts);
  ModelBackward(layout, params.data(), &acts, 1.0f, grads.data());

  auto loss = [&] {
    Activations a;
    return static_cast<double>(ModelForward(layout, params.data(), tk.tokens.data(), tk.targets.data(), batch, seq, &a));
  };
  for (const ParamTensor& t : layout.tensors) {
    if (t.name == "lm_head" && m.tied_embeddings) continue;
    double gnorm = 0, rnorm = 0;
    std::vector<double> r(t.size());
    for (int64_t i = 0; i < t.size(); ++i) {
      gnorm += double(grads[t.offset + i]) * grads[t.offset + i];
      r[i] = noise(gen);
      rnorm += r[i] * r[i];
    }
    gnorm = std::sqrt(gnorm);
    rnorm = std::sqrt(rnorm);
    // The key bias has an exactly zero gradient (it adds q . b_k to every
    // score of a query row, which softmax ignores); every other tensor must
    // have a sizeable one, or the check below would be vacuous.
    const bool zero_grad = t.name.find("attn.bk") != std::string::npos;
    if (!zero_grad) ASSERT_GT(gnorm, 1e-3) << t.name << ": gradient unexpectedly ~0";
    if (zero_grad) gnorm = 1;  // d is then the random direction (+ a ~0 vector)
    std::vector<double> d(t.size());
    double dnorm = 0, analytic = 0;
    for (int64_t i = 0; i < t.size(); ++i) {
      d[i] = grads[t.offset + i] / gnorm + r[i] / rnorm;
      dnorm += d[i] * d[i];
    }
    dnorm = std::sqrt(dnorm);
    for (int64_t i = 0; i < t.size(); ++i) {
      d[i] /= dnorm;
      analytic += grads[t.offset + i] * d[i];
    }
    const double h = 1e-2;
    std::vector<float> saved(params.begin() + t.offset, params.begin() + t.offset + t.size());
    auto shift = [&](double s) {
      for (int64_t i = 0; i < t.size(); ++i) params[t.offset + i] = static_cast<float>(saved[i] + s * d[i]);
    };
    shift(h);
    const double up = loss();
    shift(-h);
    const double down = loss();
    shift(0);
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(numeric, analytic, 5e-3 * gnorm + 1e-4)
        << m.name << " " << t.name << ": |g| " << gnorm << " numeric " << numeric << " analytic " << analytic;
    std::printf("%-24s |g| %.3e  numeric %.6e  analytic %.6e\n", t.name.c_str(), gnorm, numeric, analytic);
  }
}

TEST(ModelForwardBackward, GptTinyGradientMatchesFiniteDifferences) { CheckGradients(testing::GptTiny(), 2, 8); }

TEST(ModelForwardBackward, LlamaTinyGqaGradientMatchesFiniteDifferences) {
  CheckGradients(testing::LlamaTiny(), 2, 8);
}

TEST(ModelForwardBackward, InitialLossIsLogVocab) {
  // With N(0, 0.02) weights the logits are ~0, so the loss is ~ln(V).
  for (const ModelSpec& m : {testing::GptTiny(), testing::LlamaTiny()}) {
    const ModelLayout layout = BuildLayout(m);
    std::vector<float> params(layout.padded_size);
    InitParams(layout, 1, params.data());
    const Tokens tk = RandomTokens(4 * 16, m.vocab, 5);
    Activations a;
    const float loss = ModelForward(layout, params.data(), tk.tokens.data(), tk.targets.data(), 4, 16, &a);
    EXPECT_NEAR(loss, std::log(static_cast<double>(m.vocab)), 0.05) << m.name;
  }
}

TEST(ModelForwardBackward, GradScaleScalesGradients) {
  const ModelSpec m = testing::LlamaTiny();
  const ModelLayout layout = BuildLayout(m);
  std::vector<float> params(layout.padded_size), g1(layout.padded_size), g2(layout.padded_size);
  InitParams(layout, 1, params.data());
  const Tokens tk = RandomTokens(8, m.vocab, 5);
  Activations a, b;
  ModelForward(layout, params.data(), tk.tokens.data(), tk.targets.data(), 1, 8, &a);
  ModelBackward(layout, params.data(), &a, 1.0f, g1.data());
  ModelForward(layout, params.data(), tk.tokens.data(), tk.targets.data(), 1, 8, &b);
  ModelBackward(layout, params.data(), &b, 0.25f, g2.data());
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g2[i], 0.25f * g1[i], 1e-6f + 1e-5f * std::fabs(g1[i]));
}

}  // namespace
}  // namespace parallax
