#!/bin/bash
# The launch paths of the GPU runtime on one GPU (device machine), short:
# the same train_gpu run (gpt2-124m, fixed random batch) started plainly (one
# local rank, in-process: a single rank is not forked), under mpirun -np 1,
# under torchrun --no-python (RANK/WORLD_SIZE/MASTER_ADDR, TCP bootstrap on
# MASTER_PORT + 1) and with a hand-made torchrun-style environment plus
# PARALLAX_MASTER_ADDR/PORT; every launched rank builds its NCCL communicator
# through the bootstrap even alone. Then `parallax run --backend gpu --json
# --trace`, stdout checked by python3 -m json.tool, the trace's nesting checked.
# Usage there: OUT=... bash dist/launch/launch_on_gpu.sh
set -u
D=dist/launch
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
if ldd $D/train_gpu | grep -q "not found"; then
  lib="$(dirname "$(find / -xdev -name 'libcublasLt.so.13' 2>/dev/null | head -1)")"
  export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee $OUT/card.txt
ARGS="--model gpt2-124m --mbs 8 --seq 1024 --steps 8 --warmup 3"
t() { echo "== $1" | tee -a $OUT/log.txt; shift; local s=$(date +%s%N); timeout 40 "$@" >>$OUT/log.txt 2>&1; local rc=$?; echo "rc $rc in $(( ($(date +%s%N) - s) / 1000000 )) ms" | tee -a $OUT/log.txt; }
t "plain (one local rank)" $D/train_gpu $ARGS --json $OUT/plain.json
if command -v mpirun >/dev/null; then
  t "mpirun -np 1" mpirun --allow-run-as-root -np 1 $D/train_gpu $ARGS --json $OUT/mpirun.json
else
  echo "mpirun: not installed on this machine" | tee -a $OUT/log.txt
  t "Open MPI variables by hand (no mpirun here)" env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 OMPI_COMM_WORLD_LOCAL_RANK=0 \
    PARALLAX_SHARED_DIR=$OUT $D/train_gpu $ARGS --json $OUT/mpirun.json
fi
if command -v torchrun >/dev/null; then
  t "torchrun --no-python (TCP on MASTER_PORT+1)" torchrun --nproc_per_node 1 --master_port 29640 --no-python $D/train_gpu $ARGS --json $OUT/torchrun.json
fi
t "torchrun-style env + PARALLAX_MASTER_ADDR/PORT (TCP)" env RANK=0 WORLD_SIZE=1 LOCAL_RANK=0 PARALLAX_MASTER_ADDR=127.0.0.1 \
  PARALLAX_MASTER_PORT=29650 $D/train_gpu $ARGS --json $OUT/tcp_env.json --trace $OUT/trace_tcp_env.json
t "rank variables that disagree (expect exit 2)" env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 PMI_RANK=1 PMI_SIZE=2 $D/train_gpu $ARGS
python3 - $OUT <<'PY' | tee -a $OUT/log.txt
import json, os, sys
out = sys.argv[1]
runs = {n: json.load(open(f"{out}/{n}.json"))[0] for n in ["plain", "mpirun", "torchrun", "tcp_env"] if os.path.exists(f"{out}/{n}.json")}
ref = runs["plain"]["losses"]
for n, r in runs.items():
    d = max(abs(a - b) for a, b in zip(r["losses"], ref))
    print(f"{n:9s} losses {' '.join(f'{x:.4f}' for x in r['losses'])} | max |diff| vs plain {d:.2e} | median {r['median_step_ms']:.2f} ms")
PY
echo "== parallax run --backend gpu --json --trace" | tee -a $OUT/log.txt
timeout 40 $D/parallax run --backend gpu --model gpt2-124m --cluster h200x4-measured --mbs 8 --seq 1024 --steps 8 --json \
  --trace $OUT/trace.json >$OUT/run_stdout.json 2>$OUT/run_stderr.txt; echo "rc $?" | tee -a $OUT/log.txt
python3 -m json.tool $OUT/run_stdout.json >/dev/null && echo "stdout parses with json.tool" | tee -a $OUT/log.txt
for f in $OUT/trace.json $OUT/trace_tcp_env.json; do
python3 - $f <<'PY' | tee -a $OUT/log.txt
import json, sys, collections
print(sys.argv[1].split("/")[-1] + ":")
t = json.load(open(sys.argv[1])); x = [e for e in t["traceEvents"] if e["ph"] == "X"]
bad = 0; stacks = collections.defaultdict(list); last = {}
for e in x:
    k = (e["pid"], e["tid"]); s, end = e["ts"], e["ts"] + e["dur"]
    bad += k in last and last[k] > s; last[k] = s
    st = stacks[k]
    while st and st[-1] <= s: st.pop()
    bad += bool(st) and end > st[-1]; st.append(end)
steps = [e for e in x if e["cat"] == "step"]; ops = collections.Counter(e["name"] for e in x if e["cat"] == "op")
print(f"trace: {len(x)} spans, {len(steps)} steps ({', '.join('%.2f' % (e['dur'] / 1e3) for e in steps)} ms), {bad} out of order/not nested, trimmed {t['otherData']['trimmed_spans']}")
print("ops per step:", {k: v // max(1, len(steps)) for k, v in ops.most_common(6)})
coll = [e for e in x if e["cat"] == "collective"]
print(f"collectives: {len(coll)}, e.g. {coll[0]['name'] if coll else '-'}; total {sum(e['dur'] for e in coll) / 1e3:.2f} ms")
PY
done
