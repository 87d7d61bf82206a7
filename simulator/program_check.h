// Host-only checker of a set of per-stage programs, run before any GPU is
// touched: every send has exactly one matching receive (peer, chunk,
// micro-batch, bytes, in channel order), every (chunk, micro_batch) is forwarded
// and backwarded exactly once per stage with the forward first, and a dry run
// (each stage executes in order; a receive blocks until its send was issued;
// sends are buffered) finishes. On failure the message lists the problems, one
// per line, and on deadlock the instruction each stuck stage waits at.
#pragma once

#include <string>
#include <vector>

#include "simulator/program.h"

namespace parallax {

struct CheckResult {
  bool ok = true;
  std::string message;  // "ok" or one problem per line
};

// programs[s] must be stage s; chunks are 0..vpp-1, micro-batches 0..micro_batches-1.
CheckResult CheckPrograms(const std::vector<Program>& programs, int vpp, int micro_batches);

}  // namespace parallax
