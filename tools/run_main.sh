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
exec bazel-bin/cli/parallax plan --model llama3-70b --cluster dgx-h100 --gpus 512 --gbs 512 --seq 8192
