# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Synthetic accuracy benchmark of the tracker (issue 3): several trajectories and seeds, >= 300 frames each.

    .venv/bin/python bench/vo_synthetic.py [--frames 300] [--size 640x480] [--trajectories orbit forward handheld]
                                           [--seeds 0 1] [--max-keypoints 1024] [--device auto]

Prints, per run, the tracked fraction (any state but LOST: monocular initialisation frames get a rotation-only
pose), the ATE after a Sim(3) alignment in % of the path length (monocular, from the first TRACKING frame on, as
positions before the scale is fixed are held) and after SE(3) (RGB-D), and the metric scale error of RGB-D runs
(the Sim(3) scale); then the targets: >= 99 % tracked, monocular ATE <= 0.5 % of the path, RGB-D scale error
<= 1 %.
"""
import argparse
import time

import numpy as np
from evo.core.geometry import umeyama_alignment

from lightglue_ros.models.matching import FeatureMatcher
from lightglue_ros.sim import SyntheticSequence
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.tracker import Tracker, TrackingState


def ate(estimated: np.ndarray, truth: np.ndarray, with_scale: bool):
    R, t, s = umeyama_alignment(estimated.T, truth.T, with_scale)
    aligned = (s * estimated @ R.T) + t
    return float(np.sqrt(np.mean(np.sum((aligned - truth) ** 2, axis=1)))), float(s)


def run(sequence: SyntheticSequence, tracker: Tracker, depth: bool):
    positions, states = [], []
    for stamp, rgb, d, _ in sequence:
        result = tracker.process(rgb, stamp, depth=d if depth else None)
        positions.append(result.T_world_camera[:3, 3])
        states.append(result.state)
    first = states.index(TrackingState.TRACKING) if TrackingState.TRACKING in states else len(states) - 2
    return np.array(positions), np.mean([s != TrackingState.LOST for s in states]), first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--trajectories", nargs="+", default=["orbit", "forward", "handheld"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--max-keypoints", type=int, default=1024)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    config = VOConfig(max_keypoints=args.max_keypoints, resize=0, device=args.device)
    matcher = FeatureMatcher.from_config(config)
    rows = []
    print(f"{'trajectory':>10} {'seed':>4} {'mode':>5} {'tracked %':>9} {'ATE m':>8} {'ATE % path':>10} "
          f"{'scale err %':>11} {'s':>5}")
    for trajectory in args.trajectories:
        for seed in args.seeds:
            sequence = SyntheticSequence(trajectory, args.frames, (width, height), seed, args.fps)
            all_truth = sequence.relative_poses()[:, :3, 3]
            for depth in (False, True):
                start = time.perf_counter()
                positions, tracked, first = run(sequence, Tracker(config, sequence.camera, matcher), depth)
                positions, truth = positions[first:], all_truth[first:]
                path = float(np.linalg.norm(np.diff(truth, axis=0), axis=1).sum())
                error, scale = ate(positions, truth, with_scale=not depth)
                scale_error = abs(ate(positions, truth, with_scale=True)[1] - 1.0) * 100 if depth else float("nan")
                row = (trajectory, seed, "rgbd" if depth else "mono", tracked * 100, error,
                       error / path * 100, scale_error, time.perf_counter() - start)
                rows.append(row)
                print(f"{row[0]:>10} {row[1]:>4} {row[2]:>5} {row[3]:>9.1f} {row[4]:>8.4f} {row[5]:>10.3f} "
                      f"{row[6]:>11.2f} {row[7]:>5.0f}", flush=True)
    mono = [r for r in rows if r[2] == "mono"]
    rgbd = [r for r in rows if r[2] == "rgbd"]
    print(f"worst tracked {min(r[3] for r in rows):.1f} % (target >= 99), worst mono ATE "
          f"{max(r[5] for r in mono):.3f} % of path (target <= 0.5), worst RGB-D scale error "
          f"{max(r[6] for r in rgbd):.2f} % (target <= 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
