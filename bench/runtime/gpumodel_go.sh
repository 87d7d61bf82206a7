#!/bin/bash
# gpumodel device run (bench/results/2026-11-29-gpu-model.md): GPU tests, train_gpu (gpt-1.3b, llama-1.5b, gpt-1.3b with
# 2 micro-batches, gpt-1.3b --keep-norms), then the PyTorch eager baseline.
set -u
D=dist/gpumodel
if ldd $D/train_gpu | grep -q "not found"; then
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee $OUT/train.log
timeout 60 $D/gpt_model_test > $OUT/tests.log 2>&1; echo "gpt_model_test rc=$?"
grep -E "^\[  (PASSED|FAILED) |OK \]|FAILED \]|Failure|differ|loss gpu|rel error|fixed batch" $OUT/tests.log | grep -v "grad rel error" | head -40
grep -E "grad rel error" $OUT/tests.log | sort -k4 -g | tail -4
run() {
  local name=$1; shift
  echo "== train_gpu $*" | tee -a $OUT/train.log
  timeout 50 $D/train_gpu "$@" --json $OUT/$name.json > $OUT/$name.log 2>&1; echo "rc=$?"
  grep -E "^model|^step +(1|2|5|10|12|20) " $OUT/$name.log
  python3 -c "
import json; j=json.load(open('$OUT/$name.json'))[0]
print({k: j[k] for k in ['median_step_ms','tokens_per_s_per_gpu','mfu_countflops','mfu_palm_6n_12lhs','peak_arena_GiB','peak_device_used_GiB','final_loss']})" 2>&1 | tail -1
}
run gpt13 --model gpt-1.3b --mbs 4 --seq 2048 --steps 20
run llama15 --model llama-1.5b --mbs 4 --seq 2048 --steps 20
run gpt13_mb2 --model gpt-1.3b --mbs 4 --seq 2048 --steps 12 --micro-batches 2
run gpt13_keep --model gpt-1.3b --mbs 4 --seq 2048 --steps 8 --keep-norms
PYTHONUNBUFFERED=1 OUT=$OUT timeout 120 python3 $D/gpt_baseline.py > $OUT/baseline.log 2>&1; echo "baseline rc=$?"
tail -4 $OUT/baseline.log
