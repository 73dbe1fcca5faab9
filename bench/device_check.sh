#!/usr/bin/env bash
# GPU check in one go (under 5 minutes on one GPU), one summary at the end:
#   1. CUDA fp32 matches equal to the CPU's (>= 99 % identical), fp16 >= 97 %, for both backends
#   2. end-to-end frames/s at 640x480 / 1024 keypoints (TUM frames), torch and onnxruntime backends, vs official
#   3. vo_node latency p50/p99 at 30 Hz input (`lightglue-vo bench vo --node`)
# Usage: bench/device_check.sh [--device cuda|cuda:N|cpu]   (cpu: proves the script where no GPU is available)
# Each step runs on its own with a time limit; a failing step is reported and the next one still runs.
set -u
cd "$(dirname "$0")/.."
DEVICE=cuda
if [ "${1:-}" = "--device" ]; then DEVICE="${2:?--device needs a value}"; fi
# Time limits are for a GPU; a CPU run (2 cores) gets SLOW times as long, and fewer frames.
SLOW=1; FRAMES=17
if [ "$DEVICE" = "cpu" ]; then SLOW=5; FRAMES=8; fi
PY=.venv/bin/python
VO=.venv/bin/lightglue-vo
DATA=../shared/data/tum_fr3_office_17
LOG=$(mktemp -d)
SUMMARY=()

step() {  # step NAME SECONDS COMMAND...: run, keep the output, record ok/FAILED with the exit status
    local name=$1 limit=$(($2 * SLOW)); shift 2
    echo "=== $name"
    local start=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee "$LOG/$name.txt"
    local rc=${PIPESTATUS[0]}
    local status="ok"
    if [ "$rc" -eq 124 ]; then status="FAILED (timed out after ${limit}s)"; elif [ "$rc" -ne 0 ]; then status="FAILED (exit $rc)"; fi
    SUMMARY+=("$name: $status, $((SECONDS - start)) s")
}

echo "device check on $DEVICE, $(date -u)"
if [ "$DEVICE" = "cpu" ]; then
    echo "NOTE: --device cpu: no GPU here; this run proves the script works (CPU against CPU), not the GPU numbers"
fi
step environment 60 $PY -c "
import torch, onnxruntime
print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')
print('onnxruntime', onnxruntime.__version__, onnxruntime.get_available_providers())
import sys; sys.exit(0 if '$DEVICE' == 'cpu' or torch.cuda.is_available() else 3)"
step equality 90 $PY bench/device_equality.py --device "$DEVICE" --pairs 6
for backend in torch onnxruntime; do
    step "speed-$backend" 150 $VO bench vo "$DATA" --camera 535.4 539.2 320.1 247.6 --gt "$DATA/groundtruth.txt" \
        --device "$DEVICE" --backend "$backend" --repeats 1 --max-frames "$FRAMES"
done
step node-latency 120 $VO bench vo "$DATA" --camera 535.4 539.2 320.1 247.6 --device "$DEVICE" --node --rate 30

echo
echo "===== summary ($DEVICE) ====="
printf '%s\n' "${SUMMARY[@]}"
grep -h "identical matches\|skipped" "$LOG/equality.txt" 2>/dev/null
for backend in torch onnxruntime; do
    grep -h "^ours\|^official\|ratio\|^accuracy" "$LOG/speed-$backend.txt" 2>/dev/null | sed "s/^/$backend: /"
done
grep -h "latency\|processed" "$LOG/node-latency.txt" 2>/dev/null || echo "node-latency: no result (see above)"
