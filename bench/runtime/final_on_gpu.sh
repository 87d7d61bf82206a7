#!/bin/bash
# One device call for the merged runtime (session 2026-11-29, one GPU lent):
# GPU correctness tests (model vs CPU backend, every attention variant), the
# attention micro-benchmark, train_gpu on the baseline's GPT sizes plus
# llama-1.5b and gradient accumulation, `parallax run --backend gpu --json
# --trace` (JSON alone on stdout), then the PyTorch peer (eager, and
# torch.compile with COMPILE=1) in the same call.
# Build here: bazel build //runtime/gpu:train_gpu //runtime/gpu:gpt_model_test
#   //kernels:attention_test //bench/kernels:kernels_bench //cli:parallax,
# copy them and shared/bench/gpt_baseline.py into dist/final/.
# Usage there: OUT=... bash dist/final/final_on_gpu.sh   (at most 8 files under $OUT)
set -u
D=dist/final
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
if ldd $D/train_gpu | grep -q "not found"; then  # cuBLAS elsewhere on this machine
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
T=$OUT/tests.log
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee $T
for t in gpt_model_test attention_test; do
  echo "== $t" >>$T; timeout 120 $D/$t >>$T 2>&1; echo "rc=$?" | tee -a $T
done
echo "== kernels_bench --only=attention" >>$T
timeout 90 $D/kernels_bench --only=attention 2>&1 | tee -a $T
run() { echo "== train_gpu $*" | tee -a $OUT/train.log; timeout 150 $D/train_gpu "$@" 2>&1 | tee -a $OUT/train.log | tail -4; }
run --model gpt2-124m --mbs 16 --seq 1024 --steps 15
run --model gpt-350m --mbs 16 --seq 1024 --steps 15
run --model gpt-1.3b --mbs 4 --seq 2048 --steps 20
run --model gpt-1.3b --mbs 4 --seq 2048 --steps 12 --micro-batches 2
run --model gpt-1.3b --mbs 4 --seq 2048 --steps 10 --profile
run --model llama-1.5b --mbs 4 --seq 2048 --steps 15
echo "== parallax run --backend gpu --json --trace" | tee -a $OUT/train.log
timeout 200 $D/parallax run --backend gpu --model gpt-1.3b --cluster h200x4-measured --mbs 4 --steps 15 \
  --json --trace $OUT/trace.json >$OUT/run.json 2>$OUT/run.err
echo "rc=$?" | tee -a $OUT/train.log
python3 -m json.tool $OUT/run.json >/dev/null && echo "stdout is JSON" | tee -a $OUT/train.log
tail -5 $OUT/run.err
COMPILE=1 PYTHONUNBUFFERED=1 OUT=$OUT timeout 300 python3 $D/gpt_baseline.py 2>&1 | grep -v Warning | tee $OUT/baseline.log | grep '^{'
