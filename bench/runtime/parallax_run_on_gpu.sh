#!/bin/bash
# `parallax run --backend gpu` end to end on the device machine: measured
# against predicted (h200x4-measured profile) for GPT-1.3B on 1 GPU, DP over 2
# and ZeRO-1 over 2 and 4 (with PyTorch DDP on 4), the GPU correctness tests, and the PyTorch baseline in the
# same call. Usage there: OUT=... bash dist/run/parallax_run_on_gpu.sh
set -u
D=dist/run
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
if ldd $D/parallax | grep -q "not found"; then
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee $OUT/run.log
[ "${SKIP_SINGLE:-0}" = 1 ] || timeout 120 $D/gpt_model_test 2>&1 | tail -15 | tee $OUT/tests.log
px() { echo "== parallax $*" | tee -a $OUT/run.log; timeout 200 $D/parallax "$@" 2>>$OUT/run.log | tee -a $OUT/run.log; }
if [ "${SKIP_SINGLE:-0}" != 1 ]; then
  px run --backend gpu --model gpt-1.3b --cluster h200x4-measured --mbs 4 --steps 15
fi
if [ "$(nvidia-smi -L | wc -l)" -ge 2 ]; then
  px run --backend gpu --model gpt-1.3b --cluster h200x4-measured --mbs 4 --gpus 2 --steps 15
  px run --backend gpu --model gpt-1.3b --cluster h200x4-measured --mbs 4 --gpus 2 --zero 1 --steps 15
fi
if [ "$(nvidia-smi -L | wc -l)" -ge 4 ]; then
  px run --backend gpu --model gpt-1.3b --cluster h200x4-measured --mbs 4 --gpus 4 --steps 15
  px run --backend gpu --model gpt-1.3b --cluster h200x4-measured --mbs 4 --gpus 4 --zero 1 --steps 15
  OUT=$OUT timeout 200 torchrun --nproc_per_node 4 $D/gpt_baseline.py 2>&1 | grep '^{' | tee -a $OUT/run.log
fi
[ "${SKIP_SINGLE:-0}" = 1 ] || OUT=$OUT timeout 200 python3 $D/gpt_baseline.py 2>&1 | grep '^{' | tee -a $OUT/run.log
