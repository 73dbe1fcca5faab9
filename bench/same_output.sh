#!/usr/bin/env bash
# A refactor changes no output: the code at BASE_REV and the working tree render the same synthetic frames and
# `lightglue-vo run` gives the same trajectories (TUM files, 9 decimals) on the real TUM and KITTI frames and on
# synthetic monocular and RGB-D sequences.
#
#   bench/same_output.sh BASE_REV [OUT]     (about 10 minutes on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=$1
OUT=${2:-$(mktemp -d)}
DATA=${LIGHTGLUE_ROS_DATA:-../shared/data}
PY=$PWD/.venv/bin/python
git worktree add --detach "$OUT/base-checkout" "$BASE" >/dev/null

outputs() {  # outputs CHECKOUT DIR
  local vo="env PYTHONPATH=$1 $PY -m lightglue_ros.cli" dir=$2
  mkdir -p "$dir"
  $vo synth "$dir/orbit" --frames 40 --trajectory orbit --size 320x240 --seed 3 >/dev/null 2>&1
  $vo synth "$dir/forward" --frames 40 --trajectory forward --size 320x240 --seed 1 >/dev/null 2>&1
  (cd "$dir" && find orbit forward -type f | sort | xargs sha256sum > render.sha256)
  $vo run "$DATA/tum_fr3_office_17" --camera 535.4 539.2 320.1 247.6 --output "$dir/tum.txt" >/dev/null 2>&1
  $vo run "$DATA/kitti01_51/image_0" --camera 718.856 718.856 607.1928 185.2157 --max-frames 30 \
    --output "$dir/kitti.txt" >/dev/null 2>&1
  for s in orbit forward; do
    $vo run "$dir/$s/rgb" --camera-file "$dir/$s/camera_info.yaml" --output "$dir/$s-mono.txt" >/dev/null 2>&1
    $vo run "$dir/$s/rgb" --camera-file "$dir/$s/camera_info.yaml" --depth "$dir/$s/depth" \
      --output "$dir/$s-rgbd.txt" >/dev/null 2>&1
  done
}

outputs "$OUT/base-checkout" "$OUT/before"
outputs "$PWD" "$OUT/after"
git worktree remove --force "$OUT/base-checkout"
"$PY" - "$OUT/before" "$OUT/after" <<'PYTHON'
import sys
from pathlib import Path

import numpy as np

before, after = Path(sys.argv[1]), Path(sys.argv[2])
worst = 0.0
for f in sorted(before.glob("*.txt")):
    x, y = np.loadtxt(f), np.loadtxt(after / f.name)
    difference = np.abs(x - y).max() if x.shape == y.shape else np.inf
    worst = max(worst, difference)
    print(f"{f.name:18s} {len(x):3d} poses  max |difference| {difference:.3g}")
same = (before / "render.sha256").read_text() == (after / "render.sha256").read_text()
print(f"rendered frames identical: {same}")
print("same output (1e-9)" if worst <= 1e-9 and same else "OUTPUT CHANGED")
sys.exit(0 if worst <= 1e-9 and same else 1)
PYTHON
