#!/usr/bin/env bash
# Runs every GPU kernel test and the kernel micro-benchmark from a folder that
# holds the built binaries (dist/kernels), writing logs under $OUT (or ./out).
# Build first: bazel build -c opt //kernels/... //bench/kernels/...
# and copy bazel-bin/kernels/*_test and bazel-bin/bench/kernels/kernels_bench
# plus this script into dist/kernels/.
set -u
cd "$(dirname "$0")"
out="${OUT:-./out}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm \
  --format=csv > "$out/gpu.txt" 2>&1
cat "$out/gpu.txt"
if ldd ./kernels_bench | grep -q "not found"; then  # cuBLAS elsewhere on this machine
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
for t in ./*_test; do
  echo "== $t"
  timeout 120 "$t"
  echo "rc=$?"
done > "$out/tests.log" 2>&1
timeout 240 ./kernels_bench "$@" > "$out/bench.log" 2>&1
echo "rc=$?" >> "$out/bench.log"
grep -E "rel err|FAILED|Failure|rc=|error" "$out/tests.log"
cat "$out/bench.log"
