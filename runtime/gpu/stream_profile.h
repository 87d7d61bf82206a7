// Where a step's time goes on one stream: mark(label) records a CUDA event, and
// the time between the previous mark and this one is charged to `label` (work on
// one stream runs in order, so consecutive events bracket what was enqueued
// between them). Off by default; when off mark() does nothing. Events come from
// a pool made once, so marking allocates nothing during the step.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <string>
#include <vector>

namespace parallax::gpu {

class StreamProfile {
 public:
  StreamProfile(cudaStream_t stream, int max_marks = 4096);
  ~StreamProfile();
  StreamProfile(const StreamProfile&) = delete;
  StreamProfile& operator=(const StreamProfile&) = delete;

  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  void begin();                       // first event of a step
  void mark(const char* label);       // charges time since the last mark to label
  // Synchronizes, adds this step's times into the totals, starts afresh.
  void collect();
  const std::map<std::string, double>& totals_ms() const { return totals_ms_; }

 private:
  cudaStream_t stream_;
  bool enabled_ = false;
  std::vector<cudaEvent_t> events_;
  std::vector<const char*> labels_;
  int used_ = 0;
  std::map<std::string, double> totals_ms_;
};

}  // namespace parallax::gpu
