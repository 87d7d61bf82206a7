#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds
# //cli:parallax, and runs it on a preset (extra arguments replace the preset).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build //cli:parallax
if [ $# -gt 0 ]; then
  exec bazel-bin/cli/parallax "$@"
fi
exec bazel-bin/cli/parallax memory --model llama3-70b --cluster dgx-h100 --tp 8 --pp 4 --gpus 256 --gbs 512 --seq 4096 --sp --zero 1 --recompute selective
