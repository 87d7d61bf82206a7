#!/bin/bash
# Repeat of the one-GPU gpt-1.3b comparison, interleaved (ours, PyTorch eager,
# ours, PyTorch eager, ours) to show the run-to-run spread of the ratio.
# Usage there: OUT=... bash dist/final/repeat_on_gpu.sh
set -u
D=dist/final
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
if ldd $D/train_gpu | grep -q "not found"; then
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/repeat.log
ours() { timeout 100 $D/train_gpu --model gpt-1.3b --mbs 4 --seq 2048 --steps 30 --json $OUT/o.json >/dev/null 2>&1
  python3 -c "import json;d=json.load(open('$OUT/o.json'))[0];print('parallax gpt-1.3b median_ms %.1f tok/s %.0f' % (d['median_step_ms'], d['tokens_per_s_per_gpu']))" | tee -a $OUT/repeat.log; }
eager() { mkdir -p /tmp/b; OUT=/tmp/b timeout 150 python3 $D/gpt_baseline.py >/dev/null 2>&1
  python3 -c "import json;d=[r for r in json.load(open('/tmp/b/gpt_1gpu.json')) if r['name']=='gpt-1.3b'][0];print('pytorch eager gpt-1.3b median_ms %.1f tok/s %.0f' % (d['step_ms'], d['tokens_per_s_per_gpu']))" | tee -a $OUT/repeat.log; }
ours; eager; ours; eager; ours
rm -f $OUT/o.json
