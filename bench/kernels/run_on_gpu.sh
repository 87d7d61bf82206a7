#!/usr/bin/env bash
# Runs every GPU kernel test and the kernel micro-benchmark from a folder that
# holds the built binaries (dist/kernels), writing logs under $OUT (or ./out).
# `run_on_gpu.sh attention [bench flags]` runs only attention_test (plus a
# compute-sanitizer memcheck of it when the tool is there) and
# `kernels_bench --only=attention`.
# Build first: bazel build -c opt //kernels/... //bench/kernels/...
# and copy bazel-bin/kernels/*_test and bazel-bin/bench/kernels/kernels_bench
# plus this script into dist/kernels/.
set -u
cd "$(dirname "$0")"
out="${OUT:-./out}"
mkdir -p "$out"
tests=(./*_test)
only=()
if [ "${1:-}" = attention ]; then
  shift
  tests=(./attention_test)
  only=(--only=attention)
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm \
  --format=csv > "$out/gpu.txt" 2>&1
cat "$out/gpu.txt"
if ldd ./kernels_bench | grep -q "not found"; then  # cuBLAS elsewhere on this machine
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
for t in "${tests[@]}"; do
  echo "== $t"
  timeout 120 "$t"
  echo "rc=$?"
done > "$out/tests.log" 2>&1
sanitizer="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2> /dev/null | head -1)"
if [ ${#only[@]} -gt 0 ] && [ -n "$sanitizer" ]; then
  timeout 60 "$sanitizer" --tool memcheck ./attention_test \
    --gtest_filter='*MatchesCpu/2:*MatchesCpu/7' > "$out/sanitizer.log" 2>&1
  echo "rc=$?" >> "$out/sanitizer.log"
  tail -3 "$out/sanitizer.log"
fi
timeout 240 ./kernels_bench "${only[@]}" "$@" > "$out/bench.log" 2>&1
echo "rc=$?" >> "$out/bench.log"
grep -E "rel err|FAILED|Failure|rc=|error" "$out/tests.log"
cat "$out/bench.log"
