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
}

void StreamProfile::begin() {
  if (!enabled_) return;
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
  used_ = 0;
}

}  // namespace parallax::gpu
