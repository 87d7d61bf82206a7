#!/bin/bash
# GPU runtime run on the device machine: the GPU correctness tests, train_gpu on
# the three GPT sizes of shared/bench/gpt_baseline.py (same micro-batch and
# sequence), a profiled 1.3B run, then the PyTorch baseline in the same call.
# With 2+ GPUs also: the 1.3B loss curve on one GPU (mbs 8) against DP and
# ZeRO-1 over 2 GPUs (mbs 4 each, the same global batch), DP throughput, an
# injected rank failure, and PyTorch DDP.
# Usage (from the repo root there): OUT=... bash dist/gpurun/run_on_gpu.sh
# PARTS picks what runs (default all): tests small single dp fail baseline ddp;
# DP_NCHANNELS="4 8" repeats the DP throughput run with NCCL_MAX_NCHANNELS set.
set -u
D=dist/gpurun
if ldd $D/train_gpu | grep -q "not found"; then  # cuBLAS elsewhere on this machine
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
GPUS=$(nvidia-smi -L | wc -l)
PARTS=" ${PARTS:-tests small single dp fail baseline ddp} "
has() { [[ "$PARTS" == *" $1 "* ]]; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee $OUT/train.log
has tests && timeout 120 $D/gpt_model_test 2>&1 | tee $OUT/tests.log
run() { echo "== train_gpu $*" | tee -a $OUT/train.log; timeout 150 $D/train_gpu "$@" 2>&1 | tee -a $OUT/train.log; }
if has small; then
  run --model gpt2-124m --mbs 16 --seq 1024 --steps 15
  run --model gpt-350m --mbs 16 --seq 1024 --steps 15
fi
if has single; then
  run --model gpt-1.3b --mbs 4 --seq 2048 --steps 20
  run --model gpt-1.3b --mbs 4 --seq 2048 --steps 10 --profile
fi
if [ "$GPUS" -ge 2 ] && has dp; then
  run --model gpt-1.3b --mbs 8 --seq 2048 --steps 12 --lr 3e-4
  run --model gpt-1.3b --mbs 4 --seq 2048 --steps 12 --lr 3e-4 --dp 2
  run --model gpt-1.3b --mbs 4 --seq 2048 --steps 12 --lr 3e-4 --dp 2 --zero1
  run --model gpt-1.3b --mbs 4 --seq 2048 --steps 20 --dp 2
fi
for n in ${DP_NCHANNELS:-}; do
  echo "== NCCL_MAX_NCHANNELS=$n" | tee -a $OUT/train.log
  export NCCL_MAX_NCHANNELS=$n
  run --model gpt-1.3b --mbs 4 --seq 2048 --steps 12 --dp 2
  unset NCCL_MAX_NCHANNELS
done
if [ "$GPUS" -ge 2 ] && has fail; then
  echo "== injected failure: rank 1 throws at step 3" | tee -a $OUT/train.log
  start=$(date +%s)
  timeout -k 5 100 $D/train_gpu --model gpt-1.3b --mbs 4 --seq 2048 --steps 20 --dp 2 --fail-rank 1 --fail-step 3 2>&1 | tee -a $OUT/train.log
  echo "rc=${PIPESTATUS[0]} after $(( $(date +%s) - start )) s" | tee -a $OUT/train.log
fi
has baseline && PYTHONUNBUFFERED=1 python3 $D/gpt_baseline.py 2>&1 | tee $OUT/baseline.log
if [ "$GPUS" -ge 2 ] && has ddp; then
  PYTHONUNBUFFERED=1 timeout 200 torchrun --standalone --nproc_per_node 2 $D/gpt_baseline.py 2>&1 | tail -3 | tee -a $OUT/baseline.log
fi
