// Names of the configuration enums and the precision recipes' byte counts.
#include "core/config.h"

namespace parallax {

const std::vector<std::pair<std::string, Precision>>& PrecisionNames() {
  static const std::vector<std::pair<std::string, Precision>> t = {
      {"bf16-mixed", Precision::kBf16Mixed}, {"fp16-mixed", Precision::kFp16Mixed}, {"amp", Precision::kAmp}};
  return t;
}
const std::vector<std::pair<std::string, Recompute>>& RecomputeNames() {
  static const std::vector<std::pair<std::string, Recompute>> t = {
      {"none", Recompute::kNone}, {"selective", Recompute::kSelective}, {"full", Recompute::kFull}};
  return t;
}
const std::vector<std::pair<std::string, AttentionKernel>>& AttentionNames() {
  static const std::vector<std::pair<std::string, AttentionKernel>> t = {{"flash", AttentionKernel::kFlash},
                                                                         {"unfused", AttentionKernel::kUnfused}};
  return t;
}
const std::vector<std::pair<std::string, ScheduleKind>>& ScheduleNames() {
  static const std::vector<std::pair<std::string, ScheduleKind>> t = {{"gpipe", ScheduleKind::kGPipe},
                                                                      {"1f1b", ScheduleKind::k1F1B},
                                                                      {"interleaved", ScheduleKind::kInterleaved},
                                                                      {"zb-h1", ScheduleKind::kZbH1}};
  return t;
}
const std::vector<std::pair<std::string, ActivationLayout>>& ActivationLayoutNames() {
  static const std::vector<std::pair<std::string, ActivationLayout>> t = {
      {"megatron", ActivationLayout::kMegatron}, {"parallax-gpu", ActivationLayout::kParallaxGpu}};
  return t;
}

PrecisionBytes BytesOf(Precision p) {
  switch (p) {
    case Precision::kBf16Mixed: return {2, 4, 12, 2};
    case Precision::kFp16Mixed: return {2, 2, 12, 2};
    case Precision::kAmp: return {4, 4, 8, 2};
  }
  return {};
}

double HardwareFlopsPerToken(const ModelSpec& m, int64_t seq, Recompute recompute) {
  const FlopCounts f = CountFlops(m, seq);
  switch (recompute) {
    case Recompute::kNone: return f.model_per_token();
    case Recompute::kSelective: return f.model_per_token() + 3 * f.attention_forward_per_token;
    case Recompute::kFull: return f.model_per_token() + f.forward_per_token - 2.0 * m.hidden * m.vocab;
  }
  return f.model_per_token();
}

std::vector<int> Job::StageLayers() const {
  if (!parallel.stage_layers.empty()) return parallel.stage_layers;
  return std::vector<int>(parallel.pp, model.num_layers / parallel.pp);
}

}  // namespace parallax
