// Narayanan 2021 §5.4.1 (Figure 13) as a regression check: on the paper's
// 162.2B / 64-GPU tp x pp sweep, parallax's throughput rises with tp up to 8
// (the GPUs of a node) and falls beyond, for both batch sizes, as measured.
#include <gtest/gtest.h>

#include "bench/simulator/narayanan_2021.h"
#include "simulator/simulate.h"

namespace parallax {
namespace {

TEST(NarayananTpVsPp, PeaksAtTheGpusOfOneNode) {
  for (int64_t gbs : {32, 128}) {
    std::vector<double> tflops;
    for (int tp : {2, 4, 8, 16, 32}) {
      const Job j = NarayananTpVsPpJob(tp, gbs);
      tflops.push_back(NarayananFlopsPerStep(j) / Simulate(j).step_time_s / 64 / 1e12);
    }
    EXPECT_LT(tflops[0], tflops[1]) << "batch " << gbs;
    EXPECT_LT(tflops[1], tflops[2]) << "batch " << gbs;
    EXPECT_GT(tflops[2], tflops[3]) << "batch " << gbs;
    EXPECT_GT(tflops[3], tflops[4]) << "batch " << gbs;
  }
}

}  // namespace
}  // namespace parallax
