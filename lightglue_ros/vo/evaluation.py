# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Accuracy against ground truth (TUM RGB-D convention): relative poses, and whole trajectories with `evo`.

Ground truth is world-from-camera (T_world_camera) sampled at its own rate, so poses are interpolated at the image
stamps; the relative motion between two frames is T_wc(t0)^-1 T_wc(t1). Whole trajectories are associated by
stamp, aligned (Sim(3) for monocular runs, whose scale is arbitrary; SE(3) when the scale is metric) and scored
by the absolute trajectory error (ATE), the relative pose error (RPE) between consecutive frames, the KITTI odometry
metric (relative errors over 100-800 m segments) and the scale drift (estimated / true step length, end over start).
"""
from __future__ import annotations

import math
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


KITTI_LENGTHS = (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0)  # metres: the devkit's segments
KITTI_STEP = 10        # frames between the segments' first frames: the devkit's (one second at KITTI's 10 Hz)
DRIFT_FRACTION = 0.1   # of the steps: the windows of the scale drift at the start and the end


def kitti_segment_lengths(path_length: float) -> tuple[float, ...]:
    """Segment lengths (metres) to score a ground-truth path of `path_length` metres with.

    The devkit's 100-800 m where a 100 m segment exists (the lengths the path cannot hold give no segment and are
    left out of the result by `kitti_odometry_errors`, as the devkit does). On a path of 100 m or less, where the
    devkit scores nothing, 10 %, 20 %, ..., 80 % of the path (the devkit's lengths for a 1 km path, scaled to this
    one), the tenth rounded to 2 significant digits so that the printed lengths are the ones used. () for a path
    that does not move.
    """
    if path_length > KITTI_LENGTHS[0]:
        return KITTI_LENGTHS
    unit = float(f"{path_length / 10:.2g}")
    return tuple(k * unit for k in range(1, 9)) if unit > 0 else ()


def kitti_odometry_errors(truth_poses, estimate_poses, lengths=KITTI_LENGTHS, step: int = KITTI_STEP):
    """The KITTI odometry metric: (t_err %, r_err deg/100 m, the lengths that gave a segment, segments).

    The devkit's definition (`calcSequenceErrors` of its evaluate_odometry.cpp): from every `step`-th frame i, for
    each length L, the segment ends at the first frame j whose ground-truth distance travelled from i exceeds L; its
    error pose E = (P_i^-1 P_j)^-1 (Q_i^-1 Q_j) (P estimate, Q ground truth) gives t_err = |translation(E)| / L and
    r_err = angle(E) / L; the result is the mean over all segments of all lengths together. NaN, NaN, (), 0 when no
    segment fits in the path.

    evo's RPE with `delta_unit=Unit.meters` is not this: `filter_pairs_by_path` with `all_pairs` starts a segment at
    every frame and ends it at the frame nearest to L within a tolerance (possibly short of L), without `all_pairs`
    the segments follow one another without overlap; RPE finds the pairs on the estimate's path unless
    `pairs_from_reference`; and its statistics are per length, not divided by it. So the devkit's segments are found
    here on evo's `accumulated_distances` of the ground truth, and each is scored by evo's `RPE.rpe_base` (the
    inverse of the devkit's error pose, which has the same translation norm and angle).

    The poses are world-from-camera 4x4 and the estimate is already aligned to the ground truth: the relative poses
    do not see a rigid alignment, but a monocular estimate's scale is the one its Sim(3) alignment gives it.
    """
    from evo.core import geometry
    from evo.core import lie_algebra as lie
    from evo.core.metrics import RPE

    truth_poses = np.asarray(truth_poses, dtype=np.float64)
    estimate_poses = np.asarray(estimate_poses, dtype=np.float64)
    distances = geometry.accumulated_distances(truth_poses[:, :3, 3])
    firsts = np.arange(0, len(distances), step)
    t_errors, r_errors, used = [], [], []
    for length in lengths:
        lasts = np.searchsorted(distances, distances[firsts] + length, side="right")  # first frame beyond L
        pairs = [(i, j) for i, j in zip(firsts, lasts) if j < len(distances)]
        for i, j in pairs:
            error = RPE.rpe_base(truth_poses[i], truth_poses[j], estimate_poses[i], estimate_poses[j])
            t_errors.append(np.linalg.norm(error[:3, 3]) / length)
            r_errors.append(lie.so3_log_angle(error[:3, :3]) / length)
        if pairs:
            used.append(float(length))
    if not t_errors:
        return np.nan, np.nan, (), 0
    return 100 * float(np.mean(t_errors)), 100 * float(np.degrees(np.mean(r_errors))), tuple(used), len(t_errors)


def _measured_steps(truth_xyz, estimate_xyz):
    """True and estimated step lengths between consecutive poses from the first measured step on, 0 where unmeasured.

    Unmeasured: a step in which the estimate holds its position (a monocular initialisation, tracking lost: the
    position repeated, so 0 but for the rounding of the alignment), and the step after such a hold, which covers the
    held frames' motion (an initialisation's pose is relative to the first frame) or not (a re-initialisation goes
    on from the held pose): either way it is no one frame's step, and counting it would read as a scale change.
    """
    truth_steps = np.linalg.norm(np.diff(np.asarray(truth_xyz), axis=0), axis=1)
    estimate_steps = np.linalg.norm(np.diff(np.asarray(estimate_xyz), axis=0), axis=1)
    moved = estimate_steps > 1e-6 * estimate_steps.mean()
    measured = moved & np.concatenate([[True], moved[:-1]])
    start = int(np.argmax(measured))    # 0 when nothing was measured: every step is 0 then
    return np.where(measured, truth_steps, 0.0)[start:], np.where(measured, estimate_steps, 0.0)[start:]


def _distance_ratio(truth_steps: np.ndarray, estimate_steps: np.ndarray) -> float:
    """Estimated / true distance travelled over some steps; NaN where the truth does not move."""
    travelled = truth_steps.sum()
    return float(estimate_steps.sum() / travelled) if travelled > 0 else np.nan


def step_length_ratios(truth_xyz, estimate_xyz, window: int) -> np.ndarray:
    """Estimated / true step length per `window` consecutive steps of the matched poses, relative to the first window.

    The windows start at the first measured step and the last one holds the steps left (fewer when `window` does
    not divide them); held poses are left out (`_measured_steps`). A constant scale gives 1 throughout; scale
    drift, a trend; a window without a measured step, NaN.
    """
    truth_steps, estimate_steps = _measured_steps(truth_xyz, estimate_xyz)
    ratios = np.array([_distance_ratio(truth_steps[k:k + window], estimate_steps[k:k + window])
                       for k in range(0, len(truth_steps), window)])
    return ratios / ratios[0]


def scale_drift(truth_xyz, estimate_xyz, window: int) -> float:
    """Estimated / true step length over the last `window` steps, over that of the first `window` (end over start).

    A ratio of ratios: any global scale (the Sim(3) alignment's) cancels. The first window starts at the first
    measured step; held poses are left out (`_measured_steps`).
    """
    truth_steps, estimate_steps = _measured_steps(truth_xyz, estimate_xyz)
    return (_distance_ratio(truth_steps[-window:], estimate_steps[-window:])
            / _distance_ratio(truth_steps[:window], estimate_steps[:window]))


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
    kitti_t_err_percent: float     # KITTI odometry metric (`kitti_odometry_errors`) over the segments of kitti_lengths
    kitti_r_err_deg_per_100m: float
    kitti_lengths: tuple           # metres, those that gave a segment; () when none did
    kitti_segments: int
    scale_drift: float             # `scale_drift` over the first / last `step_window` steps
    step_window: int               # steps: DRIFT_FRACTION of them, rounded up
    step_length_ratios: np.ndarray  # `step_length_ratios` per step_window steps
    stamps: np.ndarray             # matched stamps (of the ground truth)
    ate_errors: np.ndarray         # per matched pose, metres
    truth_xyz: np.ndarray          # matched x 3
    estimate_xyz: np.ndarray       # matched x 3, aligned

    def summary(self) -> str:
        ratio = 100 * self.ate_rmse / max(self.path_length, 1e-12)
        return (f"ATE RMSE ({self.alignment}) {self.ate_rmse:.4f} m = {ratio:.2f} % of the {self.path_length:.2f} m "
                f"path (scale {self.scale:.4f}, {self.matched} poses); RPE {self.rpe_translation_rmse:.4f} m, "
                f"{self.rpe_rotation_rmse_deg:.3f} deg per frame")

    def kitti_summary(self) -> str:
        if not self.kitti_lengths:
            return "KITTI metric: none (the ground truth does not move)"
        lengths = "-".join(f"{v:g}" for v in dict.fromkeys((self.kitti_lengths[0], self.kitti_lengths[-1])))
        return (f"KITTI metric (segments {lengths} m, {self.kitti_segments} of them, {self.alignment}-aligned): "
                f"t_err {self.kitti_t_err_percent:.2f} %, r_err {self.kitti_r_err_deg_per_100m:.2f} deg/100 m")

    def scale_summary(self) -> str:
        return f"scale drift (end/start): {self.scale_drift:.2f}"

    def step_length_summary(self) -> str:
        ratios = " ".join(f"{r:.2f}" for r in self.step_length_ratios)
        return (f"estimated / true step length per {self.step_window} steps from the first measured one, relative "
                f"to the first {self.step_window}: {ratios}")


def evaluate_trajectory(estimate_stamps, estimate_poses, truth_stamps, truth_poses, correct_scale: bool = True,
                        max_time_diff: float = 0.02) -> TrajectoryErrors:
    """ATE, RPE, KITTI metric and scale drift of an estimated trajectory (world-from-camera 4x4 per stamp) by `evo`.

    `correct_scale` aligns with Sim(3) (monocular), else SE(3). Without translation in the estimate (a pure
    rotation) the scale is unobservable and SE(3) is used. All the numbers are of the aligned estimate, over the
    poses matched by stamp (these are the frames of the KITTI metric's step and of the scale drift's windows).
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
    kitti = kitti_odometry_errors(truth.poses_se3, estimate.poses_se3, kitti_segment_lengths(truth.path_length))
    window = math.ceil(DRIFT_FRACTION * (truth.num_poses - 1))
    return TrajectoryErrors(
        alignment="Sim3" if correct_scale else "SE3", scale=float(scale), matched=truth.num_poses,
        path_length=float(truth.path_length), ate_rmse=float(ape.get_statistic(rmse)),
        ate_mean=float(ape.get_statistic(metrics.StatisticsType.mean)),
        ate_max=float(ape.get_statistic(metrics.StatisticsType.max)),
        rpe_translation_rmse=float(rpe_t.get_statistic(rmse)), rpe_rotation_rmse_deg=float(rpe_r.get_statistic(rmse)),
        kitti_t_err_percent=kitti[0], kitti_r_err_deg_per_100m=kitti[1], kitti_lengths=kitti[2],
        kitti_segments=kitti[3], scale_drift=scale_drift(truth.positions_xyz, estimate.positions_xyz, window),
        step_window=window, step_length_ratios=step_length_ratios(truth.positions_xyz, estimate.positions_xyz, window),
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
