// HTML + SVG rendering of a MemoryReport.
#include "cli/memory_html.h"

#include <algorithm>

#include "cli/memory_command.h"
#include "cli/table.h"
#include "core/job_io.h"

namespace parallax {

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string MemorySvg(const MemoryReport& report) {
  struct Part {
    const char* label;
    const char* color;
    int64_t StageMemory::*bytes;
  };
  const Part parts[] = {{"weights", "#4e79a7", &StageMemory::weights_bytes},
                        {"gradients", "#f28e2b", &StageMemory::gradients_bytes},
                        {"optimizer", "#e15759", &StageMemory::optimizer_bytes},
                        {"activations", "#76b7b2", &StageMemory::activations_bytes},
                        {"other", "#bab0ac", &StageMemory::other_bytes}};
  const int bar = 36, gap = 18, left = 60, top = 20, height = 300;
  const int width = left + static_cast<int>(report.ranks.size()) * (bar + gap) + 160;
  double scale_max = static_cast<double>(report.capacity_bytes);
  for (const auto& r : report.ranks) scale_max = std::max(scale_max, static_cast<double>(r.peak_bytes));
  scale_max *= 1.05;
  auto y_of = [&](double bytes) { return top + height - height * bytes / scale_max; };
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(width) + "' height='" +
                    std::to_string(top + height + 40) + "' font-family='sans-serif' font-size='11'>\n";
  for (int g = 0; g <= 4; ++g) {  // axis ticks in GiB
    const double bytes = scale_max * g / 4;
    svg += "<text x='4' y='" + Fixed(y_of(bytes) + 4, 1) + "'>" + GiB(bytes) + " GiB</text>\n";
  }
  for (size_t i = 0; i < report.ranks.size(); ++i) {
    const StageMemory& r = report.ranks[i];
    const int x = left + static_cast<int>(i) * (bar + gap);
    double base = 0;
    // Gradients are not resident at backward start under amp: draw what the peak holds.
    const bool grads_at_peak = r.peak_bytes == r.weights_bytes + r.gradients_bytes + r.optimizer_bytes +
                                                   r.activations_bytes + r.other_bytes;
    for (const Part& p : parts) {
      if (p.bytes == &StageMemory::gradients_bytes && !grads_at_peak) continue;
      const double b = static_cast<double>(r.*p.bytes);
      if (b <= 0) continue;
      svg += "<rect x='" + std::to_string(x) + "' y='" + Fixed(y_of(base + b), 1) + "' width='" + std::to_string(bar) +
             "' height='" + Fixed(y_of(base) - y_of(base + b), 1) + "' fill='" + p.color + "'><title>stage " +
             std::to_string(r.stage) + " " + p.label + ": " + GiB(b) + " GiB</title></rect>\n";
      base += b;
    }
    svg += "<text x='" + std::to_string(x) + "' y='" + std::to_string(top + height + 14) + "'>stage " +
           std::to_string(r.stage) + "</text>\n";
  }
  const double cap = y_of(static_cast<double>(report.capacity_bytes));
  svg += "<line x1='" + std::to_string(left - 4) + "' x2='" + std::to_string(width - 150) + "' y1='" + Fixed(cap, 1) +
         "' y2='" + Fixed(cap, 1) + "' stroke='black' stroke-dasharray='4 3'/>\n";
  svg += "<text x='" + std::to_string(width - 146) + "' y='" + Fixed(cap + 4, 1) + "'>GPU capacity " +
         GiB(report.capacity_bytes) + " GiB</text>\n";
  int legend_y = top + 10;
  for (const Part& p : parts) {
    svg += "<rect x='" + std::to_string(width - 146) + "' y='" + std::to_string(legend_y + 20) +
           "' width='10' height='10' fill='" + p.color + "'/><text x='" + std::to_string(width - 132) + "' y='" +
           std::to_string(legend_y + 29) + "'>" + p.label + "</text>\n";
    legend_y += 16;
  }
  return svg + "</svg>\n";
}

std::string MemoryHtml(const Job& job, const MemoryReport& report) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>parallax memory: " + HtmlEscape(job.model.name) +
      "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child{text-align:left}</style>"
      "</head><body>\n<h1>parallax memory</h1>\n<p>" +
      HtmlEscape(JobSummary(job)) + "</p>\n" + MemorySvg(report) + "<h2>Per stage</h2>\n<pre>" +
      HtmlEscape(MemoryText(job, report)) + "</pre>\n<h2>Terms</h2>\n";
  for (const auto& r : report.ranks) {
    html += "<h3>stage " + std::to_string(r.stage) + " (peak " + GiB(r.peak_bytes) + " GiB at " + r.peak_phase +
            ")</h3>\n<table><tr><th>term</th><th>GiB</th><th>kind</th></tr>\n";
    for (const auto& t : r.terms) {
      html += "<tr><td>" + HtmlEscape(t.name) + "</td><td>" + GiB(t.bytes) + "</td><td>" + t.category + "</td></tr>\n";
    }
    html += "</table>\n";
  }
  html += "<h2>Inputs</h2>\n<pre>" + HtmlEscape(JobToJson(job).dump(2)) + "</pre>\n</body></html>\n";
  return html;
}

}  // namespace parallax
