#!/usr/bin/env bash
# Every test, from a fresh machine: installs what is missing, runs all Bazel
# tests (GPU tests skip themselves without a device; CUDA code is compiled
# when nvcc exists), then the CPU tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
passed=0 failed=0 rc=0
for config in "" "--config=asan"; do
  echo "== bazel test ${config:-(default)} //..."
  log="$(mktemp)"
  bash tools/bazel_test.sh $config //... 2>&1 | tee "$log"
  r=${PIPESTATUS[0]}
  line="$(tail -n 1 "$log")"
  rm -f "$log"
  read -r p _ f _ <<<"${line//,/}"
  passed=$((passed + p)); failed=$((failed + f))
  [ "$r" = 0 ] || rc=1
done
[ "${PARALLAX_KEEP_BAZEL:-0}" = 1 ] || bazel shutdown >/dev/null 2>&1
echo "$passed passed, $failed failed"
exit $rc
