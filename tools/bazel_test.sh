#!/usr/bin/env bash
# Usage: tools/bazel_test.sh [--flag=value ...] [targets...]  (targets default: //...)
# Runs `bazel test`, then prints one plain line "N passed, N failed[, N skipped]"
# counted from Bazel's per-target summary, and exits with Bazel's exit code.
set -uo pipefail
has_target=0
for a in "$@"; do [[ $a == -* ]] || has_target=1; done
((has_target)) || set -- "$@" //...
log="$(mktemp)"
bazel test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
awk '
  { line[NR] = $0 }
  /^INFO: Elapsed time:/ { start = NR }   # the summary follows the last one
  END {
    p = f = s = 0
    for (i = start + 1; i <= NR; i++) {
      l = line[i]
      if (l !~ /^\/\/[^ ]+ +/) continue
      sub(/^\/\/[^ ]+ +(\(cached\) +)?/, "", l)
      if (l ~ /^(PASSED|FLAKY)/) p++
      else if (l ~ /^SKIPPED/) s++
      else if (l ~ /^(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|REMOTE FAILURE)/) f++
    }
    printf "%d passed, %d failed%s\n", p, f, (s ? ", " s " skipped" : "")
  }' "$log"
rm -f "$log"
exit "$rc"
