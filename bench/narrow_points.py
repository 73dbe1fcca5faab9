# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Does a bundle adjustment of narrow-angle points lengthen the new baseline? A Monte Carlo of the local map's case.

    .venv/bin/python bench/narrow_points.py [--trials 400] [--noise-px 0.5]

Three keyframes along a diagonal (sideways and forward, equal steps), the first two fixed as the local map's window
holds them, the third free; points in one or two depth bands seen by all three with Gaussian keypoint noise. Each
trial adjusts them (`local_map.bundle_adjust`, the tracker's own) from a start near the truth and prints the third
keyframe's baseline over the true one: a mean above 1 is the scale growth a handoff passes on. Printed per case
with the points' median angle between the first and last rays (the angle `local_map_min_angle_deg` compares).
"""
import argparse

import numpy as np

from lightglue_ros.vo.local_map import bundle_adjust

FOCAL = 500.0
CENTRES = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.1], [0.2, 0.0, 0.2]])
CASES = {
    "wide (depth 3-6) x150": [((3, 6), 150)],
    "narrow (10-20) x150": [((10, 20), 150)],
    "narrower (20-40) x150": [((20, 40), 150)],
    "wide x50": [((3, 6), 50)],
    "wide x50 + narrow x100": [((3, 6), 50), ((10, 20), 100)],
    "wide x50 + narrower x100": [((3, 6), 50), ((20, 40), 100)],
}


def trial(rng, bands, noise_px):
    """(the free keyframe's baseline / the true one, the points' median angle in degrees)."""
    X = np.concatenate([np.c_[rng.uniform(-0.4, 0.4, (n, 2)) * far, rng.uniform(near, far, n)]
                        for (near, far), n in bands])
    T_camera_world = np.tile(np.eye(4), (3, 1, 1))
    T_camera_world[:, :3, 3] = -CENTRES
    camera = np.repeat(np.arange(3), len(X))
    point = np.tile(np.arange(len(X)), 3)
    Xc = X[point] - CENTRES[camera]
    observed = Xc[:, :2] / Xc[:, 2:] + rng.normal(0, noise_px / FOCAL, (len(Xc), 2))
    start = T_camera_world.copy()
    start[2, :3, 3] += rng.normal(0, 0.005, 3)
    T, _, _ = bundle_adjust(start, X * (1 + rng.normal(0, 0.02, (len(X), 1))), camera, point, observed, FOCAL,
                            threshold_px=3.0)
    centre = -T[2, :3, :3].T @ T[2, :3, 3]
    first, last = X - CENTRES[0], X - CENTRES[2]
    cos = np.sum(first * last, 1) / np.linalg.norm(first, axis=1) / np.linalg.norm(last, axis=1)
    return (np.linalg.norm(centre - CENTRES[1]) / np.linalg.norm(CENTRES[2] - CENTRES[1]),
            np.degrees(np.median(np.arccos(np.clip(cos, -1, 1)))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--noise-px", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for name, bands in CASES.items():
        ratio, angle = np.array([trial(rng, bands, args.noise_px) for _ in range(args.trials)]).T
        print(f"{name:26s} median angle {np.median(angle):5.2f} deg: baseline / true mean {ratio.mean():.4f} "
              f"+- {ratio.std() / np.sqrt(len(ratio)):.4f} (standard error), median {np.median(ratio):.4f}")


if __name__ == "__main__":
    main()
