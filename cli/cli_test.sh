#!/usr/bin/env bash
# End-to-end checks of the parallax binary: outputs, JSON keys, exit codes and
# the one-line errors for bad input, and that no half-written file is left.
set -uo pipefail
px="$TEST_SRCDIR/parallax/cli/parallax"
[ -x "$px" ] || px="cli/parallax"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0
check() {  # check NAME COND
  if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
# expect_error NAME EXPECTED_LINE ARGS...: exit 2, exactly one stderr line, equal to EXPECTED_LINE
expect_error() {
  local name="$1" want="$2"; shift 2
  local err rc
  err="$("$px" "$@" 2>&1 >/dev/null)"; rc=$?
  if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [ "$err" = "$want" ]; then
    echo "ok   $name"
  else
    echo "FAIL $name: rc=$rc stderr=[$err] want=[$want]"; fails=$((fails + 1))
  fi
}

out="$("$px" memory --model gpt-1.3b --cluster h200x4-measured --mbs 4 --precision amp)"
check "memory table names terms" '[[ "$out" == *"autocast bf16 weight copies"* && "$out" == *"peak "*"GiB on stage 0"* ]]'

json="$("$px" memory --model llama2-70b --cluster dgx-h100 --tp 8 --pp 4 --gpus 64 --mbs 1 --gbs 64 --seq 4096 --zero 1 --json)"
check "memory --json has the design's keys" 'python3 - "$json" <<PY
import json, sys
j = json.loads(sys.argv[1])["memory"]
keys = {"rank", "stage", "weights_bytes", "gradients_bytes", "optimizer_bytes", "activations_bytes", "other_bytes", "peak_bytes"}
assert len(j["ranks"]) == 4 and all(keys <= set(r) for r in j["ranks"]) and j["peak_bytes"] == max(r["peak_bytes"] for r in j["ranks"])
assert [r["rank"] for r in j["ranks"]] == [0, 16, 32, 48]
PY'

"$px" memory --model gpt-1.3b --cluster dgx-h100 --tp 2 --pp 2 --gpus 8 --gbs 64 --html "$tmp/report.html" >/dev/null
check "memory --html writes a self-contained page" 'grep -q "<svg" "$tmp/report.html" && grep -q "GPU capacity" "$tmp/report.html" && ! grep -q "<script" "$tmp/report.html"'
check "memory --html leaves no temp file" '[ -z "$(ls "$tmp" | grep tmp)" ]'

models="$("$px" models)"
check "models lists presets" '[[ "$models" == *"llama3-405b"* && "$models" == *"mixtral-8x7b"* && "$models" == *"narayanan-1t"* ]]'
clusters="$("$px" clusters)"
check "clusters lists presets" '[[ "$clusters" == *"dgx-a100-80g"* && "$clusters" == *"h200x4-measured"* ]]'
check "--help exits 0" '"$px" memory --help >/dev/null'

expect_error "unknown model" 'parallax: error: --model: unknown preset "gpt-13b" (did you mean "gpt-1.3b"?); see `parallax models`' memory --model gpt-13b
expect_error "tp does not divide heads" 'parallax: error: --tp: must divide the number of attention heads (16), got 3' memory --model gpt-1.3b --tp 3
expect_error "gpus not divisible" 'parallax: error: --gpus: 6 is not divisible by tp x pp x cp = 4' memory --model gpt-1.3b --tp 2 --pp 2 --gpus 6
expect_error "bad recompute" 'parallax: error: --recompute: unknown value "selectiv" (did you mean "selective"?); allowed: none, selective, full' memory --model gpt-1.3b --recompute selectiv
expect_error "bad stage map" 'parallax: error: --stage-layers: "7,x" must be comma-separated non-negative layer counts, e.g. 7,8,8,7' memory --model gpt-1.3b --pp 2 --stage-layers 7,x
expect_error "stage map sum" "parallax: error: --stage-layers: must add up to the model's layers (24), got 20" memory --model gpt-1.3b --pp 2 --stage-layers 10,10
expect_error "missing model" 'parallax: error: --model: required (a preset name, a model JSON or a Hugging Face config.json)' memory
expect_error "interleaved without vpp" 'parallax: error: --schedule: interleaved needs --pp >= 2 and --vpp >= 2' memory --model gpt-1.3b --pp 2 --schedule interleaved
expect_error "too many GPUs" 'parallax: error: --gpus: tp x pp x dp x cp = 8 is more than cluster h200x4-measured has (4)' memory --model gpt-1.3b --cluster h200x4-measured --gpus 8

echo '{"name": "m", "num_layers": 2, "hidden": 64, "heads": 4, "vocab": 256, "max_seq": 64, "hiden": 3}' > "$tmp/typo.json"
expect_error "unknown key in model file" "parallax: error: $tmp/typo.json: model.hiden: unknown key (did you mean \"hidden\"?)" memory --model "$tmp/typo.json"
echo '{"name": ' > "$tmp/broken.json"
err="$("$px" memory --model "$tmp/broken.json" 2>&1)"; rc=$?
check "malformed JSON exits 2 naming the file" '[ $rc = 2 ] && [[ "$err" == "parallax: error: $tmp/broken.json: malformed JSON: parse error"* ]]'
expect_error "missing file" "parallax: error: $tmp/none.json: cannot open file" memory --model "$tmp/none.json"
err="$("$px" memory --model gpt-1.3b --html /nonexistent/dir/r.html 2>&1)"; rc=$?
check "unwritable --html exits 2" '[ $rc = 2 ] && [[ "$err" == *"/nonexistent/dir/r.html: cannot write file"* ]]'
err="$("$px" memory --model gpt-1.3b --tp 2x 2>&1)"; rc=$?
check "non-numeric flag exits 2" '[ $rc = 2 ] && [[ "$err" == *"--tp"* ]]'

# A Hugging Face config.json is accepted as --model.
cat > "$tmp/config.json" <<'JSON'
{"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
 "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256, "max_position_embeddings": 8192}
JSON
a="$("$px" memory --model "$tmp/config.json" --seq 8192 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["memory"]["peak_bytes"])')"
b="$("$px" memory --model llama3-8b --seq 8192 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["memory"]["peak_bytes"])')"
check "HF config.json gives the preset's memory" '[ "$a" = "$b" ]'

# simulate
json="$("$px" simulate --model gpt-1.3b --cluster dgx-h100 --tp 2 --pp 4 --gpus 16 --gbs 64 --json --trace "$tmp/trace.json" --html "$tmp/sim.html")"
check "simulate --json has the design's keys" 'python3 - "$json" <<PY
import json, sys
j = json.loads(sys.argv[1])
for k in ["step_time_s", "tokens_per_s", "mfu", "bubble_fraction", "breakdown", "memory"]:
    assert k in j, k
assert abs(sum(j["breakdown"].values()) - j["step_time_s"]) < 1e-6 * j["step_time_s"]
assert 0 < j["mfu"] < 1 and len(j["memory"]["ranks"]) == 4
PY'
check "simulate --trace is a Chrome trace" 'python3 -c "import json,sys; t=json.load(open(sys.argv[1])); e=t[\"traceEvents\"] if isinstance(t,dict) else t; assert any(x.get(\"ph\")==\"X\" for x in e)" "$tmp/trace.json"'
check "simulate --html draws the timeline" 'grep -q "Pipeline timeline" "$tmp/sim.html" && grep -q "<rect" "$tmp/sim.html"'
prog="$("$px" simulate --model gpt-1.3b --cluster dgx-h100 --pp 2 --gbs 4 --print-program 1)"
check "simulate --print-program prints the stage's program" '[[ "$prog" == "stage 1"* && "$prog" == *"RECV_F c0 mb0 <- 0"* ]]'
expect_error "print-program out of range" 'parallax: error: --print-program: stage 5 does not exist (pp = 2)' simulate --model gpt-1.3b --pp 2 --gbs 4 --print-program 5
expect_error "interleaved m % p" 'parallax: error: --gbs: interleaved schedule needs micro-batches per step (6) divisible by pp (4)' simulate --model gpt-1.3b --pp 4 --vpp 2 --gbs 6
expect_error "zb-h1 without pp" 'parallax: error: --schedule: zb-h1 needs --pp >= 2' simulate --model gpt-1.3b --schedule zb-h1
expect_error "vpp without interleaved" 'parallax: error: --vpp: virtual stages need --schedule interleaved' simulate --model gpt-1.3b --pp 2 --vpp 2 --schedule 1f1b --gbs 4

# run (CPU backend)
out="$("$px" run --backend cpu --model gpt-tiny --dp 2 --zero 1 --gbs 4 --steps 3 --data synthetic)"
check "run --backend cpu prints one line per step" '[ "$(printf "%s\n" "$out" | grep -c "^step [0-9]* | loss [0-9.]* | .* ms | .* tokens/s | MFU .*% | peak .* MB$")" = 3 ]'
json="$("$px" run --backend cpu --model gpt-tiny --pp 2 --dp 2 --gbs 8 --steps 2 --json 2>/dev/null)"
check "run --json has the measured keys" 'python3 - "$json" <<PY
import json, sys
m = json.loads(sys.argv[1])["measured"]
assert {"step_time_s", "tokens_per_s", "mfu", "peak_bytes", "loss", "ranks"} <= set(m) and len(m["ranks"]) == 4
PY'
out="$("$px" run --backend cpu --model gpt-tiny --dp 2 --gbs 4 --steps 2 --json 2>"$tmp/run_err.txt")"
check "run --json: stdout is the JSON alone (json.tool parses it), step lines on stderr" 'printf "%s\n" "$out" | python3 -m json.tool >/dev/null && [ "$(grep -c "^step [0-9]* | loss" "$tmp/run_err.txt")" = 2 ]'
check "run --json: stdout is the JSON alone when stdout and stderr are files" '"$px" run --backend cpu --model gpt-tiny --steps 2 --json >"$tmp/run_out.json" 2>/dev/null && python3 -m json.tool "$tmp/run_out.json" >/dev/null'
expect_error "run: cpu backend has no --trace" "parallax: error: --trace: the cpu backend does not write a trace (gpu backend only)" run --model gpt-tiny --steps 1 --trace "$tmp/t.json"
"$px" plan --model gpt-tiny --cluster h200x4-measured --gpus 2 --gbs 8 --out "$tmp/plan_dp.json" >/dev/null
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); j["parallel"].update(tp=2, dp=1); json.dump(j, open(sys.argv[2], "w"))' "$tmp/plan_dp.json" "$tmp/plan_tp.json"
err="$("$px" run --backend gpu --plan "$tmp/plan_tp.json" 2>&1 >/dev/null)"; rc=$?
if [[ "$err" == *"is not available in this build"* ]]; then
  echo "skip run --backend gpu --plan with tp 2 (no CUDA in this build)"
else
  check "run --backend gpu --plan with tp 2 exits 2 naming the rule" '[ $rc = 2 ] && [ "$err" = "parallax: error: --plan: tensor-parallel execution on GPUs is not implemented (the gpu backend runs tp = 1), $tmp/plan_tp.json has tp = 2" ]'
fi
expect_error "run: cpu backend rejects tp" "parallax: error: --tp: the cpu backend runs tp = 1 only, got 2" run --model gpt-tiny --tp 2 --gpus 2
err="$("$px" run --model gpt-tiny --backend tpu 2>&1)"; rc=$?
check "run: unknown backend" '[ $rc = 2 ] && [[ "$err" == "parallax: error: --backend: \"tpu\" is not available in this build (allowed: cpu"* ]]'

# plan (more in //cli:plan_command_test)
json="$("$px" plan --model gpt-1.3b --cluster dgx-h100 --gpus 8 --gbs 64 --seq 2048 --json --out "$tmp/plan.json")"
check "plan --json has the design's keys" 'python3 - "$json" <<PY
import json, sys
j = json.loads(sys.argv[1])
assert {"plans", "evaluated", "rejected", "search_time_s"} <= set(j)
p = j["plans"][0]
assert {"step_time_s", "tokens_per_s", "mfu", "bubble_fraction", "breakdown", "memory"} <= set(p)
PY'
a="$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["plans"][0]["step_time_s"], 9))' "$json")"
b="$("$px" simulate --plan "$tmp/plan.json" --json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["step_time_s"], 9))')"
check "plan --out reads back into simulate --plan with the same step time" '[ "$a" = "$b" ]'
err="$("$px" plan --model gpt-1.3b --cluster dgx-h100 --gpus 999999 --gbs 64 2>&1)"; rc=$?
check "plan with more GPUs than the cluster exits 2" '[ $rc = 2 ] && [[ "$err" == "parallax: error: --gpus"* ]]'

echo "$fails failed"
[ "$fails" = 0 ]
