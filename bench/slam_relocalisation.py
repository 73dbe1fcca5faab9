# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Relocalisation in a saved map, scored against ground truth in the first session's alignment.

    lightglue-vo run SEQ --max-frames 150 --save-map map.lgrmap --output first.txt ...
    lightglue-vo run SEQ --start-frame 150 --load-map map.lgrmap --output second.txt ...
    .venv/bin/python bench/slam_relocalisation.py first.txt second.txt --gt SEQ/groundtruth.txt --frames 197 [--metric]

The first session's trajectory (the map's frame) is aligned to the ground truth (SE(3) with --metric, else Sim(3));
the same alignment then maps the second session's poses, which `--load-map` wrote in the map's frame and only for
the frames it localised, onto the ground truth. Printed: the share of the second session's frames localised
(`--frames`: how many it ran), their position error (median, mean, RMSE, max, share under 5 / 10 / 20 cm, % of the
first session's path) and orientation error, and for scale how far those frames are from the first session's
first pose. No realignment of the second session: an error in the map's frame shows.
"""
import argparse

import numpy as np
from evo.core import geometry, sync
from evo.core.trajectory import PoseTrajectory3D
from scipy.spatial.transform import Rotation

from lightglue_ros.vo.tum import read_tum


def trajectory(path) -> PoseTrajectory3D:
    stamps, poses = read_tum(path)
    return PoseTrajectory3D(poses_se3=list(poses), timestamps=stamps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", help="the first session's trajectory (TUM): it defines the map frame")
    parser.add_argument("second", help="the second session's trajectory (TUM), in the map frame")
    parser.add_argument("--gt", required=True, help="ground truth (TUM)")
    parser.add_argument("--frames", type=int, required=True, help="frames the second session ran")
    parser.add_argument("--metric", action="store_true", help="SE(3) alignment (RGB-D); else Sim(3)")
    parser.add_argument("--max-time-diff", type=float, default=0.02)
    args = parser.parse_args()
    truth = trajectory(args.gt)
    reference, first = sync.associate_trajectories(truth, trajectory(args.first), max_diff=args.max_time_diff)
    R, t, s = geometry.umeyama_alignment(first.positions_xyz.T, reference.positions_xyz.T, not args.metric)

    # Orientations are compared after a rotation fitted to the first session's orientations (the chordal mean of
    # R_truth R_estimate^T): on a sequence that mostly turns on the spot the positions pin the rotation down poorly.
    R_o = Rotation.from_matrix([g[:3, :3] @ e[:3, :3].T for e, g in zip(first.poses_se3, reference.poses_se3)])
    R_o = R_o.mean().as_matrix()

    def orientation_errors(estimates, truths):
        relative = [(R_o @ e[:3, :3]).T @ g[:3, :3] for e, g in zip(estimates.poses_se3, truths.poses_se3)]
        return np.degrees(np.linalg.norm(Rotation.from_matrix(relative).as_rotvec(), axis=1))

    reference2, second = sync.associate_trajectories(truth, trajectory(args.second), max_diff=args.max_time_diff)
    positions = s * second.positions_xyz @ R.T + t
    errors = np.linalg.norm(positions - reference2.positions_xyz, axis=1)
    rotations = orientation_errors(second, reference2)
    first_errors = np.linalg.norm(s * first.positions_xyz @ R.T + t - reference.positions_xyz, axis=1)
    path = reference.path_length
    print(f"first session: {first.num_poses} poses, ATE RMSE {np.sqrt(np.mean(first_errors ** 2)):.4f} m "
          f"({'SE3' if args.metric else 'Sim3'} alignment, scale {s:.4f}), path {path:.2f} m; orientation error "
          f"median {np.median(orientation_errors(first, reference)):.2f} deg (orientations aligned by their mean "
          "rotation)")
    share = 100 * second.num_poses / args.frames
    print(f"second session: {second.num_poses} of {args.frames} frames localised in the map ({share:.1f} %)")
    if second.num_poses:
        under = ", ".join(f"< {100 * v:.0f} cm {100 * np.mean(errors < v):.1f} %" for v in (0.05, 0.10, 0.20))
        print(f"position error in the first session's alignment: median {np.median(errors):.4f} m, mean "
              f"{errors.mean():.4f}, RMSE {np.sqrt(np.mean(errors ** 2)):.4f}, max {errors.max():.4f} m "
              f"(median {100 * np.median(errors) / max(path, 1e-9):.2f} % of the first path); {under}")
        print(f"orientation error: median {np.median(rotations):.2f} deg, max {rotations.max():.2f} deg")
        start = reference.poses_se3[0]
        offset = [np.linalg.norm(p[:3, 3] - start[:3, 3]) for p in reference2.poses_se3]
        turn = [np.degrees(np.linalg.norm(Rotation.from_matrix(start[:3, :3].T @ p[:3, :3]).as_rotvec()))
                for p in reference2.poses_se3]
        print(f"for scale: these frames lie a median {np.median(offset):.3f} m and {np.median(turn):.1f} deg from the "
              "first session's first pose (the error of a second session left at the origin)")


if __name__ == "__main__":
    main()
