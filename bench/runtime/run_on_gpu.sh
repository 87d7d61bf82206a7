#!/bin/bash
# GPU runtime run on the device machine: the GPU correctness tests, train_gpu on
# the three GPT sizes of shared/bench/gpt_baseline.py (same micro-batch and
# sequence), a profiled 1.3B run, then the PyTorch baseline in the same call.
# Usage (from the repo root there): OUT=... bash dist/gpurun/run_on_gpu.sh
set -u
D=dist/gpurun
if ldd $D/train_gpu | grep -q "not found"; then  # cuBLAS elsewhere on this machine
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee $OUT/train.log
timeout 120 $D/gpt_model_test 2>&1 | tee $OUT/tests.log
for args in "gpt2-124m --mbs 16 --seq 1024 --steps 15" "gpt-350m --mbs 16 --seq 1024 --steps 15" \
            "gpt-1.3b --mbs 4 --seq 2048 --steps 20"; do
  echo "== train_gpu --model $args" | tee -a $OUT/train.log
  timeout 120 $D/train_gpu --model $args 2>&1 | tee -a $OUT/train.log
done
echo "== train_gpu --model gpt-1.3b --profile" | tee -a $OUT/train.log
timeout 120 $D/train_gpu --model gpt-1.3b --mbs 4 --seq 2048 --steps 10 --profile 2>&1 | tee -a $OUT/train.log
if [ "${SKIP_BASELINE:-0}" != 1 ]; then
  PYTHONUNBUFFERED=1 python3 $D/gpt_baseline.py 2>&1 | tee $OUT/baseline.log
fi
