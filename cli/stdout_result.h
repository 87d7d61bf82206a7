// `--json` keeps stdout for the result alone. While a StdoutResult is active,
// file descriptor 1 points at stderr, so everything else that writes to stdout
// (step lines, NCCL or CUDA library messages, forked rank processes, which
// inherit the descriptor) lands on stderr; Print() writes the result to the
// real stdout. The descriptor is restored when the object goes away, also when
// an exception unwinds. Inactive (json off) it changes nothing and Print()
// writes to stdout as usual.
#pragma once
#include <string>

namespace parallax {

class StdoutResult {
 public:
  explicit StdoutResult(bool active);
  ~StdoutResult();
  StdoutResult(const StdoutResult&) = delete;
  StdoutResult& operator=(const StdoutResult&) = delete;

  // Writes text (plus a newline) to the real stdout and flushes it.
  void Print(const std::string& text);

 private:
  int saved_stdout_ = -1;  // the real stdout while active
};

}  // namespace parallax
