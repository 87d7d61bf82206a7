// Self-contained HTML report of a simulated step: the pipeline timeline as
// SVG (a row per stage and stream, one box per instruction, coloured by kind)
// next to the per-stage memory bars.
#pragma once

#include <string>

#include "core/config.h"
#include "simulator/simulate.h"

namespace parallax {

std::string SimulateHtml(const Job& job, const SimResult& result);

}  // namespace parallax
