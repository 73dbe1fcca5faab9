# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo synth OUTDIR`: render a synthetic sequence with exact ground truth to disk.

Writes OUTDIR/rgb/<stamp>.png (the file names are the stamps), OUTDIR/depth/<stamp>.png (16UC1 millimetres),
OUTDIR/groundtruth.txt (TUM, relative to the first frame: the VO convention) and OUTDIR/camera_info.yaml
(camera_calibration format). Run VO on it with

    lightglue-vo run OUTDIR/rgb --camera-file OUTDIR/camera_info.yaml --gt OUTDIR/groundtruth.txt [--depth OUTDIR/depth]
"""
from __future__ import annotations

import time
from pathlib import Path

HELP = "render a synthetic sequence with exact ground truth"


def parse_size(text: str):
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 640x480") from None
    return width, height


def add_arguments(parser) -> None:
    from lightglue_ros.sim import TRAJECTORIES

    parser.add_argument("outdir", type=Path, help="output folder (created)")
    parser.add_argument("--frames", type=int, default=300, help="number of frames (default 300)")
    parser.add_argument("--trajectory", choices=tuple(TRAJECTORIES), default="orbit",
                        help="camera path (default orbit)")
    parser.add_argument("--size", default="640x480", help="image size WIDTHxHEIGHT (default 640x480)")
    parser.add_argument("--seed", type=int, default=0, help="scene and path seed (default 0)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate the motion is sampled at (default 30)")


def run(args) -> int:
    import cv2
    import numpy as np
    from tqdm import tqdm

    from lightglue_ros.sim import SyntheticSequence
    from lightglue_ros.vo.sources import write_camera_info_yaml
    from lightglue_ros.vo.tum import write_tum

    try:
        sequence = SyntheticSequence(args.trajectory, args.frames, parse_size(args.size), args.seed, args.fps)
    except ValueError as exc:
        print(f"lightglue-vo synth: {exc}")
        return 2
    rgb_dir, depth_dir = args.outdir / "rgb", args.outdir / "depth"
    rgb_dir.mkdir(parents=True, exist_ok=True)
    depth_dir.mkdir(parents=True, exist_ok=True)
    sequence.renderer  # builds the scene (textures) once, outside the per-frame timing
    render_s = 0.0
    for i in tqdm(range(len(sequence)), unit="frame", desc="rendering"):
        start = time.perf_counter()
        stamp, rgb, depth, _ = sequence.frame(i)
        render_s += time.perf_counter() - start
        name = f"{stamp:.6f}.png"
        cv2.imwrite(str(rgb_dir / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        millimetres = np.clip(np.round(depth * 1000.0), 0, 65535).astype(np.uint16)
        cv2.imwrite(str(depth_dir / name), millimetres)
    write_tum(args.outdir / "groundtruth.txt", sequence.stamps, sequence.relative_poses())
    write_camera_info_yaml(args.outdir / "camera_info.yaml", sequence.camera, f"synthetic_{args.trajectory}")
    print(f"wrote {len(sequence)} frames of '{args.trajectory}' (seed {args.seed}, {args.size}, path "
          f"{sequence.path_length:.2f} m) to {args.outdir}; rendering {1000 * render_s / len(sequence):.1f} ms/frame")
    return 0
