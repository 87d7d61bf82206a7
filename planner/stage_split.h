// The layer-to-stage maps the planner tries. Besides the even split, the
// "lighter ends" family: the first stage a layers lighter (it also carries the
// embedding), the last b lighter (it carries the final norm, LM head and
// loss), middle stages m each with m x pp = layers + a + b. This is what makes
// 126 layers over 16 stages possible (7, 8 x 14, 7) — a planner without it
// misses plans its own model rates much faster (the Llama-3 405B case).
#pragma once

#include <vector>

namespace parallax {

// Most layers the first or last stage may shed: half a stage, at least 1.
int MaxLighterLayers(int layers, int pp);

// Uneven splits of `layers` over `pp` stages where every stage's count is a
// multiple of `vpp`, in a fixed order, without duplicates and without the
// even split. Empty for pp == 1.
std::vector<std::vector<int>> UnevenStageSplits(int layers, int pp, int vpp);

}  // namespace parallax
