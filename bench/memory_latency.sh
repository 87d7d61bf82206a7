#!/usr/bin/env bash
# Process wall time of `parallax memory` (the issue's target: well under
# 50 ms). Prints the median and max of 30 runs for three presets.
# Usage: bench/memory_latency.sh [path/to/parallax]   (default bazel-bin/cli/parallax)
set -euo pipefail
px="${1:-bazel-bin/cli/parallax}"
for args in "--model gpt-1.3b --mbs 4" \
            "--model llama3-405b --tp 8 --pp 16 --gpus 16384 --gbs 2048 --seq 8192 --stage-layers 7,8,8,8,8,8,8,8,8,8,8,8,8,8,8,7" \
            "--model mixtral-8x7b --tp 2 --ep 8 --gpus 64 --seq 4096 --gbs 256"; do
  times=()
  for i in $(seq 30); do
    s=$(date +%s%N); "$px" memory $args >/dev/null; e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  printf 'parallax memory %-40.40s median %6.2f ms  max %6.2f ms\n' "$args" \
    "$(echo "${sorted[15]} / 1000" | bc -l)" "$(echo "${sorted[29]} / 1000" | bc -l)"
done
