# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The wheel odometry buffer, its simulation, and the bundle adjustment's baselines that hold a scale to it.

The buffer: interpolation at image stamps, the mounting's lever arm, bad samples refused with a reason.
"""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lightglue_ros.vo.local_map import bundle_adjust
from lightglue_ros.vo.transforms import invert_transform, make_transform, transform_from_quaternion
from lightglue_ros.vo.wheel_odometry import WheelConfig, WheelOdometry, simulate_wheel_odometry

IDENTITY_Q = (0.0, 0.0, 0.0, 1.0)


def yaw(degrees: float):
    return Rotation.from_euler("z", degrees, degrees=True).as_quat()


def straight(wheels: WheelOdometry, speed: float = 1.0, rate: float = 50.0, seconds: float = 2.0, start=0.0):
    for k in range(int(seconds * rate) + 1):
        t = start + k / rate
        assert wheels.add(t, (speed * t, 0.0, 0.0), IDENTITY_Q) == ""


def test_travel_is_interpolated_between_samples():
    wheels = WheelOdometry()
    straight(wheels)
    distance, reason = wheels.travel(0.013, 0.113)
    assert reason == "" and distance == pytest.approx(0.1, abs=1e-9)
    # A little after the newest sample: extrapolated at the last velocity; further: refused.
    assert wheels.travel(1.95, 2.05)[0] == pytest.approx(0.1, abs=1e-9)
    distance, reason = wheels.travel(1.9, 2.5)
    assert distance is None and "after the newest wheel odometry sample" in reason
    distance, reason = wheels.travel(-1.0, 0.5)
    assert distance is None and "before the oldest" in reason


def test_the_lever_arm_moves_a_camera_ahead_of_a_turning_base():
    wheels = WheelOdometry()
    for k in range(11):  # turning on the spot at 45 deg/s
        assert wheels.add(k * 0.1, (0, 0, 0), yaw(4.5 * k)) == ""
    assert wheels.travel(0.0, 1.0)[0] == pytest.approx(0.0)
    camera = transform_from_quaternion((1.2, 0.0, 1.5), (-0.5, 0.5, -0.5, 0.5))   # 1.2 m ahead, looking forward
    distance, _ = wheels.travel(0.0, 1.0, camera)
    assert distance == pytest.approx(2 * 1.2 * np.sin(np.radians(45.0) / 2), rel=1e-9)


@pytest.mark.parametrize("stamp, position, quaternion, words", [
    (0.5, (np.nan, 0, 0), IDENTITY_Q, "non-finite"),
    (0.5, (0, 0, 0), (0, 0, np.inf, 1), "non-finite"),
    (0.5, (0, 0, 0), (0, 0, 0, 0), "zero quaternion"),
    (1.5, (1.5, 0, 0), IDENTITY_Q, "out of order"),
    (2.0, (2.0, 0, 0), IDENTITY_Q, "out of order"),           # the newest stamp again
    (2.1, (0, 0), IDENTITY_Q, "not a stamp"),
])
def test_bad_samples_are_refused_with_a_reason(stamp, position, quaternion, words):
    wheels = WheelOdometry()
    straight(wheels)
    before = len(wheels)
    reason = wheels.add(stamp, position, quaternion)
    assert words in reason and len(wheels) == before
    assert wheels.travel(1.0, 2.0)[0] == pytest.approx(1.0)    # the buffer is as it was


def test_a_jump_is_refused_and_no_distance_spans_it():
    wheels = WheelOdometry()
    straight(wheels)
    reason = wheels.add(2.02, (50.0, 0, 0), IDENTITY_Q)        # 2400 m/s: a reset of the wheel odometry
    assert "jump" in reason and "m/s" in reason
    distance, reason = wheels.travel(1.9, 2.05)
    assert distance is None and "jump" in reason
    for k in range(1, 6):                                      # it continues from there
        assert wheels.add(2.02 + 0.02 * k, (50.0 + 0.02 * k, 0, 0), IDENTITY_Q) == ""
    assert wheels.travel(2.04, 2.1)[0] == pytest.approx(0.06)
    assert "jump" in wheels.add(2.2, (50.1, 0, 0), yaw(170))   # 1700 deg/s


def test_gaps_and_restarted_streams():
    wheels = WheelOdometry(WheelConfig(wheel_max_gap_s=0.5))
    assert wheels.add(0.0, (0, 0, 0), IDENTITY_Q) == ""
    assert wheels.add(1.0, (1, 0, 0), IDENTITY_Q) == ""
    distance, reason = wheels.travel(0.2, 0.4)
    assert distance is None and "1.000 s apart" in reason
    assert wheels.travel(0.0, 1.0)[0] == pytest.approx(1.0)   # at the samples' own stamps
    straight(wheels, start=10.0, seconds=1.0)
    reason = wheels.add(3.0, (0, 0, 0), IDENTITY_Q)            # 8 s back: a bag loop, a clock reset
    assert "restarted" in reason and len(wheels) == 1


def test_old_samples_are_forgotten():
    wheels = WheelOdometry(WheelConfig(wheel_history_s=1.0))
    straight(wheels, seconds=5.0)
    assert wheels.stamps[0] >= 3.9 and wheels.travel(4.5, 5.0)[0] == pytest.approx(0.5)


def test_simulated_wheel_odometry_has_the_scale_error_and_the_noise():
    stamps = np.arange(201) * 0.1
    angle = np.radians(stamps * 10)   # a circle of radius 10 m at 10 deg/s
    truth = np.stack([make_transform(Rotation.from_euler("z", a).as_matrix(),
                                     (10 * np.sin(a), 10 - 10 * np.cos(a), 0)) for a in angle])
    steps = np.linalg.norm(np.diff(truth[:, :3, 3], axis=0), axis=1)
    exact = simulate_wheel_odometry(stamps, truth, 0.0, 0.0)
    assert np.allclose(exact, truth, atol=1e-9)
    biased = simulate_wheel_odometry(stamps, truth, 0.02, 0.0)
    assert np.allclose(np.linalg.norm(np.diff(biased[:, :3, 3], axis=0), axis=1) / steps, 1.02)
    noisy = simulate_wheel_odometry(stamps, truth, 0.02, 0.01, seed=3)
    ratio = np.linalg.norm(np.diff(noisy[:, :3, 3], axis=0), axis=1) / steps
    assert ratio.mean() == pytest.approx(1.02, abs=0.003) and np.std(ratio) == pytest.approx(0.0102, rel=0.2)


def test_baselines_hold_the_bundle_adjustments_scale():
    """With one camera fixed the scale is free; the baselines (true lengths) set it, the wrong start is undone."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0, 0], [1.0, 0, 0.2], [2.0, 0.1, 0.3], [3.0, 0.1, 0.7]])
    points = rng.uniform([-5, -3, 8], [8, 3, 20], (200, 3))
    poses = np.stack([make_transform(Rotation.from_euler("y", 3 * k, degrees=True).as_matrix(), c)
                      for k, c in enumerate(centres)])
    T_camera_world = invert_transform(poses)
    camera_index = np.repeat(np.arange(4), len(points))
    point_index = np.tile(np.arange(len(points)), 4)
    Xc = np.einsum("nij,nj->ni", T_camera_world[camera_index, :3, :3], points[point_index]) + \
        T_camera_world[camera_index, :3, 3]
    observed = Xc[:, :2] / Xc[:, 2:]
    wrong = poses.copy()
    wrong[1:, :3, 3] *= 1.3   # the free cameras and points 30 % too far out
    start = invert_transform(wrong)
    lengths = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    baselines = (np.array([0, 1, 2]), np.array([1, 2, 3]), lengths, 0.001 * lengths)

    def centres_after(baselines):
        T, _, inliers = bundle_adjust(start, points * 1.3, camera_index, point_index, observed, 500.0, 1.0,
                                      fixed=1, iterations=20, baselines=baselines)
        return invert_transform(T)[:, :3, 3], inliers

    adjusted, inliers = centres_after(baselines)
    assert inliers.mean() > 0.99
    assert np.allclose(adjusted, centres, atol=0.01)
    unheld, _ = centres_after(None)   # without them the reprojection error cannot tell the scale
    assert np.linalg.norm(unheld[3]) / np.linalg.norm(centres[3]) == pytest.approx(1.3, abs=0.05)
