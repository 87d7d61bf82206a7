// With --json, stdout carries the result and nothing else: whatever this
// process, the C stdio, iostreams or a forked child writes to stdout while a
// StdoutResult is active ends on stderr; the result alone reaches stdout.
#include "cli/stdout_result.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"

namespace parallax {
namespace {

// Runs f with fd 1 sent to a file; returns what reached it.
template <typename F>
std::string StdoutOf(F f) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/stdout" + std::to_string(getpid());
  std::fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  const int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(file, STDOUT_FILENO);
  close(file);
  f();
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(StdoutResult, OnlyTheResultReachesStdout) {
  testing::internal::CaptureStderr();
  const std::string out = StdoutOf([] {
    StdoutResult result(true);
    std::printf("step 1 | loss 5.0\n");
    std::cout << "model gpt-tiny" << std::endl;
    const pid_t child = fork();  // a forked rank inherits the descriptors
    if (child == 0) {
      std::printf("rank 1 line\n");
      std::fflush(stdout);
      _exit(0);
    }
    waitpid(child, nullptr, 0);
    std::printf("unflushed tail");
    result.Print("{\"backend\": \"cpu\"}");
  });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "{\"backend\": \"cpu\"}\n");
  for (const char* line : {"step 1 | loss 5.0", "model gpt-tiny", "rank 1 line", "unflushed tail"})
    EXPECT_NE(err.find(line), std::string::npos) << line << " not on stderr: " << err;
}

TEST(StdoutResult, StdoutIsBackAfterwards) {
  const std::string out = StdoutOf([] {
    { StdoutResult result(true); }
    std::printf("after\n");
  });
  EXPECT_EQ(out, "after\n");
}

TEST(StdoutResult, InactiveChangesNothing) {
  const std::string out = StdoutOf([] {
    StdoutResult result(false);
    std::printf("table line\n");
    result.Print("summary");
  });
  EXPECT_EQ(out, "table line\nsummary\n");
}

TEST(StdoutResult, RestoresStdoutWhenAnExceptionUnwinds) {
  const std::string out = StdoutOf([] {
    try {
      StdoutResult result(true);
      throw std::runtime_error("bad flag");
    } catch (const std::exception&) {
    }
    std::printf("error path\n");
  });
  EXPECT_EQ(out, "error path\n");
}

}  // namespace
}  // namespace parallax
