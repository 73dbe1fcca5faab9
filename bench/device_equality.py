# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Matches on a device against the CPU, on real TUM pairs (part of bench/device_check.sh).

    .venv/bin/python bench/device_equality.py --device cuda [--pairs 8]

Extracts and matches each consecutive pair end to end (ALIKED 1024 + LightGlue, 640 px) on the CPU in fp32 (the
reference), then on the device in fp32 and fp16 (LightGlue autocast), with each backend. Prints per setting the
share of the reference's matches found identically (targets: fp32 >= 99 %, fp16 >= 97 %) and whether the stop
layers agree; exits 1 when a target is missed.
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from lightglue_ros.models.matching import FeatureMatcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tum_fr3_office_17"
TARGETS = {"fp32": 0.99, "fp16": 0.97}


def run_pairs(matcher, images):
    encoded = [matcher.encode(matcher.extract(image)) for image in images]
    results = [matcher.match(encoded[i], encoded[i + 1]) for i in range(len(images) - 1)]
    return [({tuple(m) for m in r.matches}, r.stop_layer) for r in results]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--pairs", type=int, default=8)
    args = parser.parse_args()
    files = sorted(DATA.glob("*.png"))[:args.pairs + 1]
    images = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
    common = {"features": "aliked", "max_keypoints": 1024, "resize": 640}
    reference = run_pairs(FeatureMatcher(**common, device="cpu", precision="fp32", backend="torch"), images)
    failed = False
    for backend in ("torch", "onnxruntime"):
        for precision in ("fp32", "fp16"):
            matcher = FeatureMatcher(**common, device=args.device, precision=precision, backend=backend)
            if matcher.precision != precision:
                print(f"{backend:12} {precision}: skipped ({matcher.device} runs {matcher.precision} only)")
                continue
            got = run_pairs(matcher, images)
            same = [len(a & b) / max(len(a), len(b), 1) for (a, _), (b, _) in zip(reference, got)]
            stops = sum(a == b for (_, a), (_, b) in zip(reference, got))
            ok = min(same) >= TARGETS[precision]
            failed |= not ok
            print(f"{backend:12} {precision} on {matcher.device}: identical matches min {min(same):.1%}, "
                  f"mean {np.mean(same):.1%} (target {TARGETS[precision]:.0%}), same stop layer {stops}/{len(got)} "
                  f"pairs: {'ok' if ok else 'FAILED'}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
