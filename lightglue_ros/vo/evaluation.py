# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Accuracy against ground truth (TUM RGB-D convention): relative poses, and whole trajectories with `evo`.

Ground truth is world-from-camera (T_world_camera) sampled at its own rate, so poses are interpolated at the image
stamps; the relative motion between two frames is T_wc(t0)^-1 T_wc(t1). Whole trajectories are associated by
stamp, aligned (Sim(3) for monocular runs, whose scale is arbitrary; SE(3) when the scale is metric) and scored
by the absolute trajectory error (ATE) and the relative pose error (RPE) between consecutive frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from .geometry import angle_between_deg, rotation_angle_deg
from .transforms import make_transform
from .tum import read_tum

load_groundtruth = read_tum  # TUM file -> (stamps N, T_world_camera N x 4 x 4)


def interpolate_poses(stamps: np.ndarray, poses: np.ndarray, query: np.ndarray,
                      max_extrapolation: float = 0.2) -> np.ndarray:
    """Poses at `query` stamps: linear position and slerp rotation; short constant-velocity extrapolation."""
    query = np.atleast_1d(np.asarray(query, dtype=np.float64))
    if np.any(query < stamps[0] - max_extrapolation) or np.any(query > stamps[-1] + max_extrapolation):
        raise ValueError("query stamps are outside the ground truth by more than "
                         f"{max_extrapolation} s")

    # Extrapolate with the motion of the first / last 0.1 s (at least two samples).
    def edge(i0, i1, t):
        a = (t - stamps[i0]) / (stamps[i1] - stamps[i0])
        rel = Rotation.from_matrix(poses[i1, :3, :3] @ poses[i0, :3, :3].T).as_rotvec()
        return make_transform(Rotation.from_rotvec(a * rel).as_matrix() @ poses[i0, :3, :3],
                              poses[i0, :3, 3] + a * (poses[i1, :3, 3] - poses[i0, :3, 3]))

    slerp = Slerp(stamps, Rotation.from_matrix(poses[:, :3, :3]))
    out = np.tile(np.eye(4), (len(query), 1, 1))
    for k, t in enumerate(query):
        if t < stamps[0]:
            out[k] = edge(0, min(np.searchsorted(stamps, stamps[0] + 0.1), len(stamps) - 1), t)
        elif t > stamps[-1]:
            out[k] = edge(len(stamps) - 1, max(np.searchsorted(stamps, stamps[-1] - 0.1) - 1, 0), t)
        else:
            out[k, :3, :3] = slerp([t]).as_matrix()[0]
            out[k, :3, 3] = [np.interp(t, stamps, poses[:, :3, 3][:, j]) for j in range(3)]
    return out


def relative_motion(T_world_camera0: np.ndarray, T_world_camera1: np.ndarray) -> np.ndarray:
    """T_camera0_camera1 = T_wc0^-1 T_wc1."""
    return np.linalg.inv(T_world_camera0) @ T_world_camera1


def relative_pose_errors(R_est: np.ndarray, t_est: np.ndarray, T_camera0_camera1: np.ndarray):
    """Rotation error and translation-direction error (degrees) of an estimate in the geometry convention.

    The estimate maps view-0 points into view 1 (X1 = R X0 + t), i.e. it is T_camera1_camera0.
    """
    T_gt = np.linalg.inv(T_camera0_camera1)
    R_err = rotation_angle_deg(R_est.T @ T_gt[:3, :3])
    t_err = angle_between_deg(np.asarray(t_est, dtype=np.float64), T_gt[:3, 3])
    return R_err, t_err


@dataclass
class TrajectoryErrors:
    """Trajectory accuracy after alignment; positions are those used for the numbers (estimate aligned)."""

    alignment: str                 # "Sim3" or "SE3"
    scale: float                   # scale applied to the estimate (1 for SE3)
    matched: int                   # poses associated by stamp
    path_length: float             # of the ground truth over the matched poses, metres
    ate_rmse: float                # metres
    ate_mean: float
    ate_max: float
    rpe_translation_rmse: float    # metres between consecutive matched poses
    rpe_rotation_rmse_deg: float
    stamps: np.ndarray             # matched stamps (of the ground truth)
    ate_errors: np.ndarray         # per matched pose, metres
    truth_xyz: np.ndarray          # matched x 3
    estimate_xyz: np.ndarray       # matched x 3, aligned

    def summary(self) -> str:
        ratio = 100 * self.ate_rmse / max(self.path_length, 1e-12)
        return (f"ATE RMSE ({self.alignment}) {self.ate_rmse:.4f} m = {ratio:.2f} % of the {self.path_length:.2f} m "
                f"path (scale {self.scale:.4f}, {self.matched} poses); RPE {self.rpe_translation_rmse:.4f} m, "
                f"{self.rpe_rotation_rmse_deg:.3f} deg per frame")


def evaluate_trajectory(estimate_stamps, estimate_poses, truth_stamps, truth_poses, correct_scale: bool = True,
                        max_time_diff: float = 0.02) -> TrajectoryErrors:
    """ATE and RPE of an estimated trajectory (world-from-camera 4x4 per stamp) against the ground truth, by `evo`.

    `correct_scale` aligns with Sim(3) (monocular), else SE(3). Without translation in the estimate (a pure
    rotation) the scale is unobservable and SE(3) is used.
    """
    from evo.core import metrics, sync
    from evo.core.trajectory import PoseTrajectory3D

    def trajectory(stamps, poses):
        stamps = np.asarray(stamps, dtype=np.float64).reshape(-1)
        poses = np.asarray(poses, dtype=np.float64).reshape(-1, 4, 4)
        if len(stamps) != len(poses) or len(stamps) < 2:
            raise ValueError(f"a trajectory needs at least 2 poses with one stamp each, got {len(stamps)} stamps "
                             f"and {len(poses)} poses")
        return PoseTrajectory3D(poses_se3=list(poses), timestamps=stamps)

    truth, estimate = sync.associate_trajectories(trajectory(truth_stamps, truth_poses),
                                                  trajectory(estimate_stamps, estimate_poses),
                                                  max_diff=max_time_diff)
    if truth.num_poses < 2:
        raise ValueError(f"fewer than 2 poses share a stamp (within {max_time_diff} s) with the ground truth")
    moves = np.ptp(estimate.positions_xyz, axis=0).max() > 1e-9 and truth.path_length > 1e-9
    correct_scale = bool(correct_scale and moves)
    _, _, scale = estimate.align(truth, correct_scale=correct_scale)
    ape = metrics.APE(metrics.PoseRelation.translation_part)
    ape.process_data((truth, estimate))
    rpe_t = metrics.RPE(metrics.PoseRelation.translation_part, delta=1, delta_unit=metrics.Unit.frames)
    rpe_t.process_data((truth, estimate))
    rpe_r = metrics.RPE(metrics.PoseRelation.rotation_angle_deg, delta=1, delta_unit=metrics.Unit.frames)
    rpe_r.process_data((truth, estimate))
    rmse = metrics.StatisticsType.rmse
    return TrajectoryErrors(
        alignment="Sim3" if correct_scale else "SE3", scale=float(scale), matched=truth.num_poses,
        path_length=float(truth.path_length), ate_rmse=float(ape.get_statistic(rmse)),
        ate_mean=float(ape.get_statistic(metrics.StatisticsType.mean)),
        ate_max=float(ape.get_statistic(metrics.StatisticsType.max)),
        rpe_translation_rmse=float(rpe_t.get_statistic(rmse)), rpe_rotation_rmse_deg=float(rpe_r.get_statistic(rmse)),
        stamps=np.array(truth.timestamps), ate_errors=np.array(ape.error), truth_xyz=truth.positions_xyz.copy(),
        estimate_xyz=estimate.positions_xyz.copy())


def plot_trajectory(path, errors: TrajectoryErrors, title: str = "") -> None:
    """PNG: both trajectories seen from above, and the ATE per pose.

    "Above" is the ground truth's plane of largest extent (two of its axes): x-z for the camera-optical world
    of VO and the synthetic sequences (y is down), x-y for a motion-capture world with z up.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    i, j = sorted(np.argsort(np.ptp(errors.truth_xyz, axis=0))[-2:])
    fig, (top, err) = plt.subplots(1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1, 1.2]})
    top.plot(errors.truth_xyz[:, i], errors.truth_xyz[:, j], "k-", label="ground truth")
    top.plot(errors.estimate_xyz[:, i], errors.estimate_xyz[:, j], "r.-", ms=2, lw=0.8,
             label=f"estimate ({errors.alignment}-aligned)")
    top.set_xlabel(f"{'xyz'[i]} [m]"), top.set_ylabel(f"{'xyz'[j]} [m]"), top.set_aspect("equal", adjustable="datalim")
    top.legend(), top.set_title("top view")
    err.plot(errors.stamps - errors.stamps[0], errors.ate_errors, "b-")
    err.set_xlabel("time [s]"), err.set_ylabel("position error [m]")
    err.set_title(f"ATE RMSE {errors.ate_rmse:.4f} m over {errors.path_length:.2f} m")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
