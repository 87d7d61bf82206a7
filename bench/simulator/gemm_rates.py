# GEMM rates on the GPU as training sees them, and how the timing method
# moves them. `--mode compare`: the same shapes timed back-to-back (20
# launches between two events, as shared/bench/bench.py does) and one launch
# at a time, bf16 and fp16, cold and after 30 s of sustained GEMMs (the GPU at
# its power limit, SM clock down); records the clocks. `--mode table`: after
# the same 30 s, back-to-back bf16 rates for the GEMM shapes of GPT layers
# (forward, input-grad and weight-grad shapes, 2048 and 8192 tokens, hidden
# 1024-8192, tp slices) in the cluster profile's "gemm" format.
# Usage (GPU machine): python3 gemm_rates.py --mode table --out gemm_table.json
import argparse
import json
import subprocess
import time

import torch

COMPARE_SHAPES = [(8192, 8192, 8192), (8192, 6144, 2048), (8192, 2048, 8192), (2048, 18432, 6144),
                  (2048, 6144, 6144), (2048, 2304, 6144), (2048, 6144, 768), (6144, 3072, 2048),
                  (8192, 9216, 6144), (2048, 24576, 8192)]
# shared/bench/bench.py's shapes (the profile's earlier table)
BENCH_SHAPES = [(8192, 8192, 8192), (4096, 4096, 4096), (2048, 2048, 2048), (1024, 1024, 1024),
                (8192, 6144, 2048), (8192, 2048, 2048), (8192, 8192, 2048), (8192, 2048, 8192),
                (16384, 12288, 12288), (16384, 6144, 12288), (4096, 4096, 16384)]


def layer_shapes():
    """(m, n, k) of a GPT layer's linears: forward (T, out, in), input grad (T, in, out), weight grad (out, in, T)."""
    shapes = set(BENCH_SHAPES)
    for tokens in (2048, 8192):
        for h in (1024, 2048, 4096, 6144, 8192):
            for tp in (1, 2, 8):
                if h // tp < 512:
                    continue
                for out_f, in_f in ((3 * h // tp, h), (h, h // tp), (4 * h // tp, h), (h, 4 * h // tp)):
                    shapes |= {(tokens, out_f, in_f), (tokens, in_f, out_f), (out_f, in_f, tokens)}
    return sorted(shapes)


def clock():
    q = "clocks.sm,power.draw,temperature.gpu"
    return subprocess.run(["nvidia-smi", "--query-gpu=" + q, "--format=csv,noheader"], capture_output=True,
                          text=True).stdout.strip()


def heat(seconds=30):
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    t0 = time.time()
    while time.time() - t0 < seconds:
        for _ in range(50):
            a @ a
        torch.cuda.synchronize()


def rate(m, n, k, dtype=torch.bfloat16, back_to_back=True):
    """TFLOP/s of C[m,n] = A[m,k] B[k,n]."""
    a = torch.randn(m, k, device="cuda", dtype=dtype)
    b = torch.randn(k, n, device="cuda", dtype=dtype)
    for _ in range(5):
        a @ b
    torch.cuda.synchronize()
    if back_to_back:
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(20):
            a @ b
        e.record()
        torch.cuda.synchronize()
        ms = s.elapsed_time(e) / 20
    else:
        times = []
        for _ in range(10):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            a @ b
            e.record()
            torch.cuda.synchronize()
            times.append(s.elapsed_time(e))
        ms = sorted(times)[5]
    return 2 * m * n * k / ms / 1e9


def compare():
    def sweep(state):
        return [{"state": state, "m": m, "n": n, "k": k, "dtype": str(dt)[6:], "back_to_back": btb,
                 "tflops": rate(m, n, k, dt, btb)}
                for m, n, k in COMPARE_SHAPES for dt in (torch.bfloat16, torch.float16) for btb in (True, False)]
    out = {"clock_cold": clock()}
    rows = sweep("cold")
    heat()
    out["clock_hot"] = clock()
    rows += sweep("hot")
    out["clock_after"] = clock()
    out["rows"] = rows
    return out


def table():
    heat()
    out = {"clock_hot": clock(), "method": "bf16, back-to-back (20 launches / 2 events) after 30 s of sustained GEMMs"}
    out["gemm"] = [{"m": m, "n": n, "k": k, "tflops": round(rate(m, n, k), 3)} for m, n, k in layer_shapes()]
    out["clock_after"] = clock()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["compare", "table"], required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
           "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    out.update(compare() if args.mode == "compare" else table())
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k not in ("rows", "gemm")}))


if __name__ == "__main__":
    main()
