#!/usr/bin/env bash
# GPU check in one go (under 5 minutes on one GPU), one summary at the end:
#   1. CUDA fp32 matches equal to the CPU's (>= 99 % identical), fp16 >= 97 %, for both backends
#   2. end-to-end frames/s at 640x480 / 1024 keypoints (TUM frames), torch and onnxruntime backends, vs official
#   3. vo_node latency p50/p99 at 30 Hz input (`lightglue-vo bench vo --node`)
#   4. onnxruntime sessions: the provider each got (TensorRT / CUDA, never a silent CPU), the time to make all 28
#      (TensorRT engine builds on a first run, then the engine cache), IO binding vs plain matches, GPU memory
#   5. memory of the pipeline over frames (bench/memory.py: RSS after warm-up and while running)
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
step onnxruntime-sessions 900 $PY -c "
import time, cv2, glob, torch
from lightglue_ros.models.matching import FeatureMatcher
start = time.perf_counter()
bound = FeatureMatcher(device='$DEVICE', backend='onnxruntime')
bound.warmup((640, 480))
print(f'sessions made and warmed up in {time.perf_counter() - start:.1f} s: {bound.runtime()}')
plain = FeatureMatcher(device='$DEVICE', backend='onnxruntime', session_conf={'io_binding': False})
files = sorted(glob.glob('$DATA/*.png'))[:2]
images = [cv2.cvtColor(cv2.imread(f), cv2.COLOR_BGR2RGB) for f in files]
features = [bound.extract(i) for i in images]
a = bound.match(*[bound.encode(f) for f in features])
b = plain.match(*[plain.encode(f) for f in features])
same = len({tuple(m) for m in a.matches} & {tuple(m) for m in b.matches})
print(f'IO binding vs plain: {same} of {len(b.matches)} matches identical, stop layers {a.stop_layer} / {b.stop_layer}')
if torch.cuda.is_available():
    free, total = torch.cuda.mem_get_info()
    print(f'GPU memory in use {(total - free) / 2**20:.0f} MB of {total / 2**20:.0f} MB (torch allocated '
          f'{torch.cuda.memory_allocated() / 2**20:.0f} MB)')"
step memory 150 $PY bench/memory.py "$DATA" --camera 535.4 539.2 320.1 247.6 --frames $((FRAMES * 4)) \
    --every "$FRAMES" --set device="$DEVICE"

echo
echo "===== summary ($DEVICE) ====="
printf '%s\n' "${SUMMARY[@]}"
grep -h "identical matches\|skipped" "$LOG/equality.txt" 2>/dev/null
for backend in torch onnxruntime; do
    grep -h "^ours\|^official\|ratio\|^accuracy" "$LOG/speed-$backend.txt" 2>/dev/null | sed "s/^/$backend: /"
done
grep -h "latency\|processed\|RSS" "$LOG/node-latency.txt" 2>/dev/null || echo "node-latency: no result (see above)"
grep -h "sessions\|IO binding\|GPU memory" "$LOG/onnxruntime-sessions.txt" 2>/dev/null
grep -h "warm-up\|summary" "$LOG/memory.txt" 2>/dev/null
