// StreamProfile (see stream_profile.h).
#include "runtime/gpu/stream_profile.h"

#include "kernels/check.h"

namespace parallax::gpu {

StreamProfile::StreamProfile(cudaStream_t stream, int max_marks)
    : stream_(stream), events_(max_marks), labels_(max_marks, nullptr) {
  for (auto& e : events_) CUDA_CHECK(cudaEventCreate(&e));
}

StreamProfile::~StreamProfile() {
  for (auto& e : events_) cudaEventDestroy(e);
  if (origin_) cudaEventDestroy(origin_);
}

void StreamProfile::set_trace(std::vector<Span>* spans) {
  spans_ = spans;
  if (spans && !origin_) CUDA_CHECK(cudaEventCreate(&origin_));
}

void StreamProfile::begin(int step) {
  if (!enabled_) return;
  if (spans_ && !origin_recorded_) {
    CUDA_CHECK(cudaEventRecord(origin_, stream_));
    origin_recorded_ = true;
  }
  step_ = step;
  used_ = 0;
  mark("");
}

void StreamProfile::mark(const char* label) {
  if (!enabled_ || used_ >= int(events_.size())) return;
  labels_[used_] = label;
  CUDA_CHECK(cudaEventRecord(events_[used_++], stream_));
}

void StreamProfile::collect() {
  if (!enabled_ || used_ < 2) return;
  CUDA_CHECK(cudaEventSynchronize(events_[used_ - 1]));
  for (int i = 1; i < used_; ++i) {
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, events_[i - 1], events_[i]));
    totals_ms_[labels_[i]] += ms;
  }
  if (spans_ && origin_recorded_) {
    std::vector<double> at_us(used_);
    for (int i = 0; i < used_; ++i) {
      float ms = 0;
      CUDA_CHECK(cudaEventElapsedTime(&ms, origin_, events_[i]));
      at_us[i] = ms * 1e3;
    }
    spans_->push_back(Span{"step " + std::to_string(step_), "step", kComputeTid, at_us[0], at_us[used_ - 1] - at_us[0]});
    for (int i = 1; i < used_; ++i)
      spans_->push_back(Span{labels_[i], "op", kComputeTid, at_us[i - 1], at_us[i] - at_us[i - 1]});
  }
  used_ = 0;
}

}  // namespace parallax::gpu
