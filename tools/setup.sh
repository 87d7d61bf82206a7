#!/usr/bin/env bash
# Installs what parallax needs to build and test, if missing (idempotent).
# Debian packages only; CUDA at /usr/local/cuda is optional (GPU parts are
# skipped without it).
set -euo pipefail
pkgs=(bazel-bootstrap nlohmann-json3-dev libcli11-dev libboost-graph-dev libgtest-dev libgmock-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
