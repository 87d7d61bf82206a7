// Where a step's time goes on one stream: mark(label) records a CUDA event, and
// the time between the previous mark and this one is charged to `label` (work on
// one stream runs in order, so consecutive events bracket what was enqueued
// between them). Off by default; when off mark() does nothing. Events come from
// a pool made once, so marking allocates nothing during the step.
// Tracing (span_trace.h): with set_trace, collect() also appends one span per
// marked interval and one per step, timed from an origin event recorded at the
// first traced begin(); other streams of the device (NCCL) time from it too.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/gpu/span_trace.h"

namespace parallax::gpu {

class StreamProfile {
 public:
  StreamProfile(cudaStream_t stream, int max_marks = 4096);
  ~StreamProfile();
  StreamProfile(const StreamProfile&) = delete;
  StreamProfile& operator=(const StreamProfile&) = delete;

  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  void begin(int step = 0);           // first event of a step (step names its trace span)
  void mark(const char* label);       // charges time since the last mark to label
  // Synchronizes, adds this step's times into the totals, starts afresh.
  void collect();
  const std::map<std::string, double>& totals_ms() const { return totals_ms_; }
  // Appends spans to *spans from now on (nullptr: stop). Marks only when enabled.
  void set_trace(std::vector<Span>* spans);
  cudaEvent_t trace_origin() const { return origin_; }  // valid after set_trace

 private:
  cudaStream_t stream_;
  bool enabled_ = false;
  std::vector<cudaEvent_t> events_;
  std::vector<const char*> labels_;
  int used_ = 0;
  std::map<std::string, double> totals_ms_;
  std::vector<Span>* spans_ = nullptr;
  cudaEvent_t origin_ = nullptr;
  bool origin_recorded_ = false;
  int step_ = 0;
};

}  // namespace parallax::gpu
