// SVG timeline rendering.
#include "cli/simulate_html.h"

#include "cli/memory_command.h"
#include "cli/memory_html.h"
#include "cli/table.h"
#include "simulator/memory_model.h"

namespace parallax {
namespace {

const char* ColorOf(OpKind op) {
  switch (op) {
    case OpKind::kForward: return "#4e79a7";
    case OpKind::kBackward:
    case OpKind::kBackwardInput: return "#59a14f";
    case OpKind::kBackwardWeight: return "#9c755f";
    case OpKind::kDpAllReduce:
    case OpKind::kDpReduceScatter:
    case OpKind::kParamAllGather: return "#e15759";
    case OpKind::kOptimizerStep: return "#b07aa1";
    default: return "#f28e2b";  // p2p
  }
}

}  // namespace

std::string SimulateHtml(const Job& job, const SimResult& r) {
  const int row_h = 14, stream_rows = 3, left = 70, width = 1100;
  const int stages = r.num_stages();
  const double scale = (width - left - 10) / r.step_time_s;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(width) + "' height='" +
                    std::to_string(stages * (stream_rows * row_h + 8) + 30) + "' font-family='sans-serif' font-size='10'>\n";
  for (int s = 0; s < stages; ++s) {
    const int y0 = 20 + s * (stream_rows * row_h + 8);
    svg += "<text x='2' y='" + std::to_string(y0 + row_h - 3) + "'>stage " + std::to_string(s) + "</text>\n";
    const std::vector<Instruction> program = r.ProgramOf(s).instructions;
    for (size_t i = 0; i < program.size(); ++i) {
      const Instruction& ins = program[i];
      const double x = left + r.timeline.start_s(s, i) * scale;
      const double w = std::max(0.5, (r.timeline.end_s(s, i) - r.timeline.start_s(s, i)) * scale);
      const int row = static_cast<int>(ins.stream);
      svg += "<rect x='" + Fixed(x, 1) + "' y='" + std::to_string(y0 + row * row_h) + "' width='" + Fixed(w, 1) +
             "' height='" + std::to_string(row_h - 2) + "' fill='" + ColorOf(ins.op) + "'><title>" +
             HtmlEscape(ToString(ins)) + ": " + Fixed(r.timeline.start_s(s, i) * 1e3, 3) + "-" +
             Fixed(r.timeline.end_s(s, i) * 1e3, 3) + " ms</title></rect>\n";
    }
  }
  svg += "<text x='" + std::to_string(left) + "' y='12'>0 ms</text><text x='" + std::to_string(width - 80) + "' y='12'>" +
         Fixed(r.step_time_s * 1e3, 1) + " ms</text>\n</svg>\n";
  return "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>parallax simulate: " + HtmlEscape(job.model.name) +
         "</title><style>body{font-family:sans-serif;margin:2em}</style></head><body>\n<h1>parallax simulate</h1>\n<p>" +
         HtmlEscape(JobSummary(job)) + "</p>\n<p>step " + Fixed(r.step_time_s * 1e3, 2) + " ms, MFU " + Percent(r.mfu) +
         ", bubble " + Percent(r.bubble_fraction) + " (" + HtmlEscape(r.note) +
         ")</p>\n<h2>Pipeline timeline</h2>\n<p>rows per stage: compute, p2p, data-parallel; blue forward, green "
         "backward, brown weight-gradient, orange p2p, red DP collectives, purple optimizer</p>\n" +
         svg + "<h2>Memory per stage</h2>\n" + MemorySvg(EstimateMemory(job)) + "</body></html>\n";
}

}  // namespace parallax
