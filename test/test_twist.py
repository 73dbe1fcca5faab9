# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The twist covariance (lightglue_ros.vo.twist) against sampled pose errors, and its held / first-frame cases."""
import numpy as np
import pytest

from lightglue_ros.vo.pose_solvers import TrackingState
from lightglue_ros.vo.tracker import HELD_VARIANCE
from lightglue_ros.vo.twist import PoseUncertainty, motion_covariance, rotate_covariance, twist_covariance

RNG = np.random.default_rng(7)


def random_covariance(scale: float) -> np.ndarray:
    A = RNG.normal(size=(6, 6)) * scale
    return A @ A.T


def frame(stamp, keyframe_covariance, relative, keyframe_id, state=TrackingState.TRACKING):
    return PoseUncertainty(stamp, keyframe_covariance + relative, relative, keyframe_id, state)


def sampled_covariance(errors: np.ndarray) -> np.ndarray:
    return errors.T @ errors / len(errors)


def test_same_keyframe_matches_sampled_pose_differences():
    """Two frames solved against one keyframe: its error cancels in the difference, the two solves' add up."""
    K, r1, r2 = random_covariance(0.1), random_covariance(0.01), random_covariance(0.01)
    n = 200_000
    e_K = RNG.multivariate_normal(np.zeros(6), K, n)
    e1 = e_K + RNG.multivariate_normal(np.zeros(6), r1, n)
    e2 = e_K + RNG.multivariate_normal(np.zeros(6), r2, n)
    previous, current = frame(1.0, K, r1, 3), frame(1.1, K, r2, 3)
    expected = sampled_covariance(e2 - e1)
    assert np.allclose(motion_covariance(previous, current), expected, atol=0.03 * np.abs(expected).max())
    # The difference of the accumulated covariances would say r2 - r1: not a covariance at all.
    assert np.linalg.eigvalsh(current.covariance - previous.covariance).min() < 0
    assert np.allclose(twist_covariance(previous, current), (r1 + r2) / 0.1 ** 2 + np.eye(6) * 1e-12)


def test_previous_frame_became_the_keyframe():
    """The next frame is solved against the previous one: the motion's covariance is that solve's alone."""
    K, r1, r2 = random_covariance(0.1), random_covariance(0.01), random_covariance(0.01)
    n = 200_000
    e1 = RNG.multivariate_normal(np.zeros(6), K, n) + RNG.multivariate_normal(np.zeros(6), r1, n)
    e2 = e1 + RNG.multivariate_normal(np.zeros(6), r2, n)
    previous = frame(2.0, K, r1, 3)
    current = frame(2.05, previous.covariance, r2, 4)
    expected = sampled_covariance(e2 - e1)
    assert np.allclose(motion_covariance(previous, current), expected, atol=0.03 * np.abs(expected).max())
    assert np.allclose(twist_covariance(previous, current), r2 / 0.05 ** 2, rtol=1e-6, atol=1e-9)


def test_a_reset_keyframe_still_has_this_frames_uncertainty():
    """A keyframe with a smaller covariance (reset, new camera): never less than this frame's own solve."""
    previous = frame(3.0, random_covariance(1.0), random_covariance(0.01), 5)
    r = random_covariance(0.01)
    current = frame(3.1, np.zeros((6, 6)), r, 6)
    motion = motion_covariance(previous, current)
    assert np.linalg.eigvalsh(motion - r).min() > -1e-12
    covariance = twist_covariance(previous, current)
    assert np.linalg.eigvalsh(covariance).min() > 0 and np.all(np.isfinite(covariance))


def test_held_frames_first_frame_and_no_time_step_are_not_measurements():
    K, r = random_covariance(0.1), random_covariance(0.01)
    tracked = frame(1.0, K, r, 1)
    for state in (TrackingState.DEGENERATE, TrackingState.LOST, TrackingState.INITIALIZING):
        held = frame(1.1, K, r + np.eye(6) * HELD_VARIANCE, 1, state)
        assert np.array_equal(twist_covariance(tracked, held), np.eye(6) * HELD_VARIANCE)
    assert np.array_equal(twist_covariance(None, tracked), np.eye(6) * HELD_VARIANCE)
    assert np.array_equal(twist_covariance(tracked, frame(1.0, K, r, 1)), np.eye(6) * HELD_VARIANCE)


def test_tracking_after_held_frames_carries_their_variance():
    """The first tracked frame after held ones moves from a pose that was not measured: still large."""
    K, r = random_covariance(0.1), random_covariance(0.01)
    held = frame(1.0, K, r + np.eye(6) * HELD_VARIANCE * 2, 1, TrackingState.LOST)
    covariance = twist_covariance(held, frame(1.1, K, r, 1))
    assert np.all(np.diag(covariance) > HELD_VARIANCE)


def test_an_exact_solve_still_has_a_positive_diagonal():
    zero = np.zeros((6, 6))
    covariance = twist_covariance(frame(1.0, zero, zero, 1), frame(1.1, zero, zero, 1))
    assert np.all(np.diag(covariance) > 0) and np.all(np.isfinite(covariance))


def test_rotate_covariance_into_another_frame():
    covariance = np.diag([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    R = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 90 degrees about z
    assert np.diag(rotate_covariance(covariance, R)) == pytest.approx([2.0, 1.0, 3.0, 5.0, 4.0, 6.0])
