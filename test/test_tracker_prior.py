# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The monocular tracker fed a translation prior (wheel odometry), with the real ALIKED + LightGlue.

Simulated wheel odometry (2 % scale error, 1 % noise per step) makes the trajectory metric: no scale to align. A
prior that starts late restarts the scale in metres; wheels that report motion while the images see none (a robot
lifted off the ground) are not trusted, and trusted again once they agree with the images.
"""
import numpy as np
import pytest

from lightglue_ros.models.matching import FeatureMatcher
from lightglue_ros.sim import SyntheticSequence
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.tracker import METRIC_DEPTH, METRIC_PRIOR, RELATIVE_SCALE, Tracker, TrackingState
from lightglue_ros.vo.wheel_odometry import simulate_wheel_odometry

SIZE = (320, 240)
# ATE (SE(3), no scale) per path length on these short 320x240 runs; without the prior they are in units of the
# first scene depth, not metres. The 2 % bar at full size: the DDS test on KITTI 01 and the README's measurements.
BAR = 0.04


def config(**overrides) -> VOConfig:
    values = dict(features="aliked", max_keypoints=512, resize=0, device="cpu", keyframe_min_inliers=80)
    values.update(overrides)
    return VOConfig(**values)


@pytest.fixture(scope="module")
def matcher():
    return FeatureMatcher.from_config(config())


@pytest.fixture(scope="module")
def line():
    """A car in the synthetic street (7 m/s, 10 Hz), and its wheel odometry's steps (2 % too long, 1 % noise)."""
    sequence = SyntheticSequence("street", frames=30, size=SIZE, seed=0, fps=10.0)
    truth = sequence.relative_poses()
    wheel = simulate_wheel_odometry(sequence.stamps, truth, 0.02, 0.01, seed=1)
    steps = np.linalg.norm(np.diff(wheel[:, :3, 3], axis=0), axis=1)
    return sequence, truth, [None] + steps.tolist()


def se3_ate(positions: np.ndarray, truth: np.ndarray) -> float:
    """RMSE after the best rotation and translation, no scale."""
    mu_p, mu_t = positions.mean(0), truth.mean(0)
    U, _, Vt = np.linalg.svd((truth - mu_t).T @ (positions - mu_p))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))])
    aligned = (positions - mu_p) @ (U @ D @ Vt).T + mu_t
    return float(np.sqrt(np.mean(np.sum((aligned - truth) ** 2, axis=1))))


def path_length(xyz: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(xyz, axis=0), axis=1).sum())


def test_wheel_odometry_makes_the_monocular_trajectory_metric(matcher, line):
    sequence, truth, priors = line
    tracker = Tracker(config(), sequence.camera, matcher)
    results = [tracker.process(sequence.frame(i)[1], sequence.stamps[i], translation_prior=priors[i])
               for i in range(len(sequence))]
    # Until the initialisation has parallax the scale is unknown (the position is held); from then on: metres.
    first = [r.state for r in results].index(TrackingState.TRACKING)
    assert first <= 5 and all(r.state == TrackingState.TRACKING for r in results[first:])
    assert all(r.scale == RELATIVE_SCALE and not r.metric for r in results[:first])
    assert all(r.scale == METRIC_PRIOR and r.metric for r in results[first:]), [r.scale for r in results]
    # The images at 320x240 are noisy enough to contradict a prior now and then; mostly they agree.
    assert sum(r.prior_used for r in results[first:]) >= 0.8 * len(results[first:])
    positions = np.array([r.T_world_camera[:3, 3] for r in results])
    ratio = np.linalg.norm(positions[-1] - positions[0]) / np.linalg.norm(truth[-1, :3, 3] - truth[0, :3, 3])
    ate = se3_ate(positions, truth[:, :3, 3]) / path_length(truth[:, :3, 3])
    print(f"path ratio {ratio:.4f}, ATE (SE3, no scale) {100 * ate:.2f} % of the path")
    assert ratio == pytest.approx(1.02, abs=0.01)
    assert ate <= BAR


def test_a_late_prior_restarts_the_scale_in_metres(matcher, line):
    sequence, truth, priors = line
    tracker = Tracker(config(), sequence.camera, matcher)
    late = [None] * 8 + priors[8:]   # the wheel odometry comes up after the camera
    results = [tracker.process(sequence.frame(i)[1], sequence.stamps[i], translation_prior=late[i])
               for i in range(len(sequence))]
    assert all(r.scale == RELATIVE_SCALE for r in results[:8])
    assert results[8].is_keyframe and "starts over" in results[8].reason
    assert results[-1].scale == METRIC_PRIOR and sum(r.scale == METRIC_PRIOR for r in results[9:]) >= 18
    positions = np.array([r.T_world_camera[:3, 3] for r in results[8:]])
    assert np.allclose(positions[0], results[7].T_world_camera[:3, 3])   # it restarts where the camera was
    ate = se3_ate(positions, truth[8:, :3, 3]) / path_length(truth[8:, :3, 3])
    assert ate <= BAR, ate


def test_wheels_spinning_on_a_lifted_robot_are_not_trusted(matcher, line):
    sequence, truth, priors = line
    tracker = Tracker(config(), sequence.camera, matcher)
    lifted_at, lifted_for = 12, 6
    frames = list(range(lifted_at + 1)) + [lifted_at] * lifted_for + list(range(lifted_at + 1, len(sequence)))
    stamps = np.arange(len(frames)) * 0.1
    # While lifted the wheels keep reporting 0.7 m a frame; the images stand still.
    steps = priors[:lifted_at + 1] + [priors[lifted_at]] * lifted_for + priors[lifted_at + 1:]
    results = [tracker.process(sequence.frame(i)[1], stamp, translation_prior=step)
               for i, stamp, step in zip(frames, stamps, steps)]
    lifted = results[lifted_at + 1:lifted_at + 1 + lifted_for]
    reasons = [r.prior_reason for r in lifted]
    print("while lifted:", [bool(r) for r in reasons])
    assert all(reasons[2:]) and "not trusted" in reasons[-1] and "lifted" in reasons[-1]
    assert all(r.state == TrackingState.TRACKING for r in results[6:])
    standing = results[lifted_at].T_world_camera[:3, 3]
    # The wheels claimed 4 m; the pose stays where the images say the camera is (within their noise at 320x240).
    claimed = sum(steps[lifted_at + 1:lifted_at + 1 + lifted_for])
    assert np.linalg.norm(lifted[-1].T_world_camera[:3, 3] - standing) < 0.15 * claimed
    put_down = results[lifted_at + 1 + lifted_for:]
    assert sum(r.prior_used for r in put_down) >= 0.7 * len(put_down), [r.prior_reason for r in put_down]
    positions = np.array([r.T_world_camera[:3, 3] for r in results[:lifted_at + 1] + put_down])
    ate = se3_ate(positions, truth[:, :3, 3]) / path_length(truth[:, :3, 3])
    print(f"ATE (SE3, no scale) {100 * ate:.2f} % of the path")
    assert ate <= BAR


def test_depth_is_metric_and_takes_no_prior(matcher, line):
    sequence, _, priors = line
    tracker = Tracker(config(), sequence.camera, matcher)
    for i in range(3):
        _, rgb, depth, _ = sequence.frame(i)
        result = tracker.process(rgb, sequence.stamps[i], depth=depth, translation_prior=priors[i])
        assert result.scale == METRIC_DEPTH and not result.prior_used
