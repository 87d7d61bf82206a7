# What one GPU of a tensor-parallel group computes for a Megatron-LM 2021 GPT
# layer, measured on a real GPU: the layer sliced as tp slices it (heads/tp,
# 3h/tp QKV, 4h/tp FFN; LayerNorm, dropout and residual on the full hidden
# size, which tp does not split), fp16, unfused attention, no collectives.
# bench/simulator/tp_layer_shapes.cc prints parallax's prediction for the same
# shapes next to these numbers. Why: parallax prefers tp 2 + pipelining over
# Narayanan 2021's tp 8 for its 18.4B / 39.1B rows partly because of this
# compute difference (bench/planner/narayanan_plans.md); this checks that
# term against a measurement.
# Usage (on a GPU machine): python3 tp_layer_shapes.py --out tp_layer.json
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from gemm_rates import heat, rate


class SlicedLayer(torch.nn.Module):
    """Pre-LN GPT layer as one tp rank runs it (Megatron-LM 2021 ParallelTransformerLayer)."""

    def __init__(self, h, heads, tp, dropout=0.1):
        super().__init__()
        assert heads % tp == 0 and h % heads == 0
        self.nh, self.d, self.p = heads // tp, h // heads, dropout
        self.ln1 = torch.nn.LayerNorm(h)
        self.qkv = torch.nn.Linear(h, 3 * h // tp)
        self.proj = torch.nn.Linear(h // tp, h, bias=False)
        self.proj_bias = torch.nn.Parameter(torch.zeros(h))
        self.ln2 = torch.nn.LayerNorm(h)
        self.fc1 = torch.nn.Linear(h, 4 * h // tp)
        self.fc2 = torch.nn.Linear(4 * h // tp, h, bias=False)
        self.fc2_bias = torch.nn.Parameter(torch.zeros(h))

    def forward(self, x, mask):
        s, b, _ = x.shape
        qkv = self.qkv(self.ln1(x)).view(s, b * self.nh, 3 * self.d)
        q, k, v = qkv.split(self.d, dim=-1)
        scores = torch.baddbmm(
            torch.empty(b * self.nh, s, s, dtype=x.dtype, device=x.device),
            q.transpose(0, 1), k.transpose(0, 1).transpose(1, 2), beta=0.0, alpha=1.0 / math.sqrt(self.d))
        probs = torch.softmax(scores.masked_fill(mask, -10000.0), dim=-1)
        probs = F.dropout(probs, self.p)
        ctx = torch.bmm(probs, v.transpose(0, 1)).transpose(0, 1).reshape(s, b, self.nh * self.d)
        x = x + F.dropout(self.proj(ctx) + self.proj_bias, self.p)  # all-reduce before the bias in Megatron
        y = F.gelu(self.fc1(self.ln2(x)))
        return x + F.dropout(self.fc2(y) + self.fc2_bias, self.p)


def timed(fn, reps):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def graphed(fn):
    """fn captured in a CUDA graph: its replay has no host (Python / launch) time."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return g.replay


def gemm_times(h, heads, tp, mbs, seq):
    """Each GEMM of the sliced layer (forward, input-grad, weight-grad shapes) alone, back-to-back: (m, n, k) -> ms."""
    tokens, d, nh = mbs * seq, h // heads, heads // tp
    rows = []
    for out_f, in_f in ((3 * h // tp, h), (h, h // tp), (4 * h // tp, h), (h, 4 * h // tp)):
        for m, n, k in ((tokens, out_f, in_f), (tokens, in_f, out_f), (out_f, in_f, tokens)):
            rows.append({"m": m, "n": n, "k": k, "ms": 2 * m * n * k / rate(m, n, k, torch.half) / 1e9})
    return rows


def measure(h, heads, tp, mbs, seq, layers, reps, compiled):
    stack = torch.nn.ModuleList(SlicedLayer(h, heads, tp) for _ in range(layers)).cuda().half()
    if compiled:  # fuses the memory-bound ops (more than Megatron 2021's fused kernels did)
        for layer in stack:
            layer.compile()
    x0 = torch.randn(seq, mbs, h, device="cuda", dtype=torch.half, requires_grad=True)
    mask = torch.ones(seq, seq, device="cuda", dtype=torch.bool).triu(1)
    grad = torch.randn_like(x0)

    def fwd(recompute):
        x = x0
        for layer in stack:
            x = checkpoint(layer, x, mask, use_reentrant=False) if recompute else layer(x, mask)
        return x

    def step(recompute):
        fwd(recompute).backward(grad)

    def forward_only():
        with torch.no_grad():
            fwd(False)

    out = {
        "tp": tp, "mbs": mbs, "layers": layers, "compiled": compiled,
        "forward_ms": timed(forward_only, reps) / layers,
        "fwd_bwd_ms": timed(lambda: step(False), reps) / layers,
        "fwd_bwd_full_recompute_ms": timed(lambda: step(True), reps) / layers,
    }
    if not compiled:  # the same passes without host time
        try:
            out["graph_forward_ms"] = timed(graphed(forward_only), reps) / layers
            out["graph_fwd_bwd_ms"] = timed(graphed(lambda: step(False)), reps) / layers
        except RuntimeError as e:
            out["graph_error"] = str(e)[:300]
        out["gemms"] = gemm_times(h, heads, tp, mbs, seq)
    del stack, x0, grad
    torch.cuda.empty_cache()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=6144)   # Narayanan 18.4B
    ap.add_argument("--heads", type=int, default=48)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--mbs", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--compile", action="store_true", help="torch.compile each layer")
    args = ap.parse_args()
    torch.manual_seed(0)
    heat()  # training runs at the power limit: time it there
    rows = []
    for mbs in args.mbs:
        for tp in (1, 2, 4, 8):
            rows.append(measure(args.hidden, args.heads, tp, mbs, args.seq, 8, args.reps, args.compile))
            print(json.dumps(rows[-1]), flush=True)
    result = {
        "what": "one tp rank's share of a Megatron-LM 2021 GPT layer (fp16, unfused attention, dropout 0.1, no collectives, "
                + ("torch.compile per layer), " if args.compile else "PyTorch eager), ")
                + "8 layers stacked, "
                "median of %d timed repetitions after 3 warm-ups, per layer; "
                "GEMMs alone back-to-back; after 30 s of sustained GEMMs" % args.reps,
        "hidden": args.hidden, "heads": args.heads, "seq": args.seq,
        "gpu": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "rows": rows,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
