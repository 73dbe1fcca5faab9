# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The drift numbers of `evaluation`: the KITTI odometry metric and the scale drift, on trajectories of known error."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lightglue_ros.vo.evaluation import (KITTI_LENGTHS, evaluate_trajectory, kitti_odometry_errors,
                                         kitti_segment_lengths, scale_drift, step_length_ratios)
from lightglue_ros.vo.transforms import make_transform


def arc(frames: int, step: float, radius: float = 5000.0) -> np.ndarray:
    """World-from-camera poses driving forward (camera z) by `step` metres a frame on a circle (turning about y).

    Nearly straight, so that a segment's chord is its length, but not quite: a straight line has no SE(3) alignment.
    """
    turn = make_transform(Rotation.from_euler("y", step / radius).as_matrix(), [0, 0, step])
    return np.stack([np.linalg.matrix_power(turn, k) for k in range(frames + 1)])


def chained(truth, extra_yaw_deg_per_step=0.0, scale=1.0) -> np.ndarray:
    """An odometry of `truth`: its relative motions, scaled and turned by an extra yaw (about camera y) each step."""
    extra = make_transform(Rotation.from_euler("y", extra_yaw_deg_per_step, degrees=True).as_matrix(), np.zeros(3))
    poses = [truth[0]]
    for T0, T1 in zip(truth[:-1], truth[1:]):
        step = np.linalg.inv(T0) @ T1
        step[:3, 3] *= scale
        poses.append(poses[-1] @ step @ extra)
    return np.stack(poses)


def winding(frames: int, step: float, seed: int) -> np.ndarray:
    """A smooth random drive: forward steps of about `step` metres, yaw and a little pitch and roll that wander."""
    rng = np.random.default_rng(seed)
    rates = np.cumsum(rng.normal(scale=[0.01, 0.05, 0.01], size=(frames, 3)), axis=0)
    rates = np.clip(rates, [-0.1, -1, -0.1], [0.1, 1, 0.1])       # degrees per step about x, y, z
    poses = [np.eye(4)]
    for rate, length in zip(rates, step * (1 + 0.2 * rng.random(frames))):
        poses.append(poses[-1] @ make_transform(Rotation.from_euler("xyz", rate, degrees=True).as_matrix(),
                                                [0, 0, length]))
    return np.stack(poses)


def devkit(truth, estimate, lengths=KITTI_LENGTHS, step_size=10):
    """The KITTI devkit's `calcSequenceErrors` and the mean of its errors, written again as plainly as it is."""
    dist = [0.0]
    for i in range(1, len(truth)):
        dist.append(dist[i - 1] + np.linalg.norm(truth[i - 1][:3, 3] - truth[i][:3, 3]))
    t_errors, r_errors = [], []
    for first_frame in range(0, len(truth), step_size):
        for length in lengths:
            last_frame = next((i for i in range(first_frame, len(dist)) if dist[i] > dist[first_frame] + length), -1)
            if last_frame == -1:
                continue
            pose_delta_gt = np.linalg.inv(truth[first_frame]) @ truth[last_frame]
            pose_delta_result = np.linalg.inv(estimate[first_frame]) @ estimate[last_frame]
            pose_error = np.linalg.inv(pose_delta_result) @ pose_delta_gt
            d = 0.5 * (np.trace(pose_error[:3, :3]) - 1.0)
            r_errors.append(np.arccos(max(min(d, 1.0), -1.0)) / length)
            t_errors.append(np.linalg.norm(pose_error[:3, 3]) / length)
    return 100 * np.mean(t_errors), 100 * np.degrees(np.mean(r_errors)), len(t_errors)


def test_kitti_metric_is_the_devkits():
    """Against the devkit's loop, on a 1 km winding drive with a drifting odometry: every length, pooled."""
    truth = winding(900, 1.0, seed=3)
    estimate = chained(truth, extra_yaw_deg_per_step=0.01, scale=1.02)
    estimate[:, :3, 3] += np.random.default_rng(4).normal(scale=0.05, size=(len(estimate), 3))
    t_err, r_err, lengths, segments = kitti_odometry_errors(truth, estimate)
    expected = devkit(truth, estimate)
    assert lengths == KITTI_LENGTHS and segments == expected[2] > 200
    assert t_err == pytest.approx(expected[0], rel=1e-9) and r_err == pytest.approx(expected[1], rel=1e-9)
    # The yaw put in, 0.01 deg per step of 1.1 m on average; the 2 % scale error is less on a winding path's chords.
    assert r_err == pytest.approx(0.01 / 1.1 * 100, rel=0.05) and t_err > 0.5


def test_a_segment_ends_beyond_its_length_as_in_the_devkit():
    """On whole-metre steps a frame lies at exactly L: the devkit's segment ends one frame later (dist > L)."""
    truth = np.tile(np.eye(4), (301, 1, 1))
    truth[:, 2, 3] = np.arange(301.0)
    estimate = truth.copy()
    estimate[:, 2, 3] *= 1.01
    t_err, _, lengths, segments = kitti_odometry_errors(truth, estimate, (100.0, 200.0))
    assert t_err == pytest.approx(devkit(truth, estimate, (100.0, 200.0))[0], rel=1e-12)
    assert t_err == pytest.approx(np.mean([1.01] * 20 + [1.005] * 10)) and (lengths, segments) == ((100.0, 200.0), 30)


def test_a_one_percent_scale_error_is_one_percent_after_se3_and_none_after_sim3():
    truth = arc(1000, 0.45)
    estimate = chained(truth, scale=1.01)
    metric = evaluate_trajectory(np.arange(1001.0), estimate, np.arange(1001.0), truth, correct_scale=False)
    # Segments end at the first frame beyond L: up to a step (0.45 % of 100 m) longer.
    assert metric.kitti_t_err_percent == pytest.approx(1.0, rel=0.005) and metric.kitti_r_err_deg_per_100m < 1e-6
    assert metric.kitti_lengths == KITTI_LENGTHS[:4] and metric.alignment == "SE3"
    assert "KITTI metric (segments 100-400 m" in metric.kitti_summary()
    similar = evaluate_trajectory(np.arange(1001.0), estimate, np.arange(1001.0), truth)
    assert similar.kitti_t_err_percent < 1e-6 and similar.scale == pytest.approx(1 / 1.01)


def test_a_constant_yaw_rate_error_is_its_rate_per_100m():
    truth = arc(1000, 0.5)
    estimate = chained(truth, extra_yaw_deg_per_step=0.004)      # 0.8 deg per 100 m
    metric = evaluate_trajectory(np.arange(1001.0), estimate, np.arange(1001.0), truth, correct_scale=False)
    assert metric.kitti_r_err_deg_per_100m == pytest.approx(0.8, rel=0.005)


def test_a_short_path_is_scored_on_segments_scaled_to_it():
    truth = winding(60, 0.9, seed=5)
    path = np.linalg.norm(np.diff(truth[:, :3, 3], axis=0), axis=1).sum()
    assert 58.5 < path < 59.5
    lengths = kitti_segment_lengths(path)
    unit = 5.9                                  # a tenth of the path, on 2 significant digits
    assert lengths == pytest.approx([k * unit for k in range(1, 9)]) and kitti_segment_lengths(394.0) == KITTI_LENGTHS
    assert kitti_segment_lengths(54.0) == pytest.approx([5.4 * k for k in range(1, 9)])
    still = truth[:1].repeat(9, axis=0)                         # standing: no lengths, and none would fit
    assert kitti_segment_lengths(0.0) == () and kitti_odometry_errors(still, still, (1.0,))[2:] == ((), 0)
    assert kitti_odometry_errors(truth, truth, KITTI_LENGTHS)[2] == ()           # the devkit scores nothing here
    estimate = chained(truth, scale=1.01)
    metric = evaluate_trajectory(np.arange(61.0), estimate, np.arange(61.0), truth, correct_scale=False)
    assert metric.kitti_lengths == pytest.approx(lengths)
    # The SE(3) alignment moves the estimate rigidly, which no relative error sees: the unaligned one scores the same.
    assert metric.kitti_t_err_percent == pytest.approx(devkit(truth, estimate, lengths)[0], rel=1e-6)
    assert f"(segments {unit:g}-{8 * unit:g} m" in metric.kitti_summary()


def test_scale_drift_of_steps_growing_one_percent_per_step():
    truth = winding(200, 1.0, seed=6)
    estimate = truth.copy()
    steps = np.diff(truth[:, :3, 3], axis=0)
    estimate[1:, :3, 3] = truth[0, :3, 3] + np.cumsum(steps * 1.01 ** np.arange(200)[:, None], axis=0)
    true_steps = np.linalg.norm(np.diff(truth[:, :3, 3], axis=0), axis=1)
    grown = true_steps * 1.01 ** np.arange(200)
    # The windows' ratios of sums, over 20 steps: the first 20 and the last 20.
    expected = (grown[-20:].sum() / true_steps[-20:].sum()) / (grown[:20].sum() / true_steps[:20].sum())
    assert expected == pytest.approx(1.01 ** 180, rel=0.02)
    assert scale_drift(truth[:, :3, 3], estimate[:, :3, 3], 20) == pytest.approx(expected, rel=1e-9)
    metric = evaluate_trajectory(np.arange(201.0), estimate, np.arange(201.0), truth)
    assert metric.step_window == 20 and metric.scale_drift == pytest.approx(expected, rel=1e-9)
    assert metric.scale_summary() == f"scale drift (end/start): {expected:.2f}"
    ratios = step_length_ratios(truth[:, :3, 3], estimate[:, :3, 3], 50)
    assert ratios == pytest.approx(1.01 ** (50 * np.arange(4)), rel=0.02) and ratios[0] == 1


def test_held_poses_do_not_count_as_the_scale_shrinking():
    """Neither the held steps nor the one after them: an initialisation's, which covers them, or a re-start's."""
    truth = arc(100, 1.0)
    steps = 2.0 * np.diff(truth[:, :3, 3], axis=0)
    steps[89:94] = 0.0                          # lost for five frames: the pose at 89 held, then the same steps again
    steps[8] = steps[:9].sum(axis=0)            # initialising: the first pose held, then frame 9 relative to frame 0
    steps[:8] = 0.0
    estimate = np.cumsum(np.vstack([truth[:1, :3, 3], steps]), axis=0)
    assert scale_drift(truth[:, :3, 3], estimate, 10) == pytest.approx(1.0)
    # From the first measured step, 9 -> 10: 91 steps in windows of 10.
    assert step_length_ratios(truth[:, :3, 3], estimate, 10) == pytest.approx(np.ones(10))
    assert np.isnan(scale_drift(truth[:, :3, 3], np.repeat(estimate[:1], 101, axis=0), 10))   # never moves
