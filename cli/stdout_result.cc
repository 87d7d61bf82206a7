// stdout reserved for the result (see stdout_result.h).
#include "cli/stdout_result.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace parallax {
namespace {

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t k = write(fd, text.data() + done, text.size() - done);
    if (k <= 0) throw std::runtime_error("cannot write the result to stdout");
    done += size_t(k);
  }
}

}  // namespace

StdoutResult::StdoutResult(bool active) {
  if (!active) return;
  std::cout.flush();
  std::fflush(stdout);
  saved_stdout_ = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);  // forked ranks do not inherit it
  if (saved_stdout_ < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    throw std::runtime_error("cannot point stdout at stderr for --json");
}

StdoutResult::~StdoutResult() {
  if (saved_stdout_ < 0) return;
  std::cout.flush();
  std::fflush(stdout);
  dup2(saved_stdout_, STDOUT_FILENO);
  close(saved_stdout_);
}

void StdoutResult::Print(const std::string& text) {
  std::cout.flush();
  std::fflush(stdout);
  WriteAll(saved_stdout_ >= 0 ? saved_stdout_ : STDOUT_FILENO, text + "\n");
}

}  // namespace parallax
