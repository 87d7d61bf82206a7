// Self-contained HTML memory report: the configuration, an SVG stacked bar per
// pipeline stage (weights, gradients, optimizer, activations, other) against
// the GPU capacity line, and each stage's named terms. No scripts, no external
// files: it opens anywhere and can be attached to a ticket.
#pragma once

#include <string>

#include "core/config.h"
#include "simulator/memory_model.h"

namespace parallax {

std::string MemoryHtml(const Job& job, const MemoryReport& report);
// The SVG bars alone (simulate's HTML report embeds them next to the timeline).
std::string MemorySvg(const MemoryReport& report);
// Escapes &, <, > and quotes for HTML text.
std::string HtmlEscape(const std::string& text);

}  // namespace parallax
