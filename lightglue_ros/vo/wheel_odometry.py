# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Wheel odometry: a buffer of the base's poses, the camera's travel between two image stamps, and its checks.

A monocular trajectory is in units of its first scene depth; wheel odometry is in metres. The tracker takes the
distance the camera travelled since the previous frame as its translation prior (`Tracker.process(
translation_prior=)`) and with it keeps the trajectory metric. Wheel odometry is a stream of poses of the base in
its own odometry frame (nav_msgs/Odometry's pose, or a TUM file): the poses are interpolated at the two image
stamps (position linear, rotation slerp) and the camera's positions follow from the mounting (`base_from_camera`),
so a camera ahead of the axle travels further than the axle while the base turns.

    wheels = WheelOdometry(WheelConfig())
    reason = wheels.add(stamp, position, quaternion_xyzw)      # '' when taken, else why it was refused
    distance, reason = wheels.travel(previous_stamp, stamp)    # None and why when the stamps are not covered

A sample is refused, with the reason for the caller to log, when it is not finite or its quaternion is zero, when
its stamp is not after the newest one (out of order; far before it the stream restarted: the buffer starts over),
or when it jumps (a speed or turn rate no wheel gives: the buffer starts over from it, so no distance spans the
jump). A robot lifted off the ground, its wheels spinning, passes these checks: the tracker compares the wheels'
distance with what the images see (`VOConfig.wheel_*`).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from .config import knob, validate_knobs
from .transforms import invert_transform, make_transform


@dataclass
class WheelConfig:
    wheel_max_speed_mps: float = knob(50.0, "Wheel odometry: a sample implying a faster speed (m/s) since the "
                                      "previous one is a jump: refused, and no distance spans it.",
                                      range=(0.01, 1000.0))
    wheel_max_turn_rate_dps: float = knob(360.0, "Wheel odometry: a sample implying a faster turn (degrees/s) "
                                          "since the previous one is a jump.", range=(1.0, 100000.0))
    wheel_max_gap_s: float = knob(0.5, "Wheel odometry: an image stamp between samples further apart than this "
                                  "(seconds), or after the newest by more than wheel_max_extrapolation_s, gets "
                                  "no distance.", range=(0.001, 60.0))
    wheel_max_extrapolation_s: float = knob(0.1, "Wheel odometry: an image stamp this far (seconds) after the "
                                            "newest sample still gets a distance, at the last samples' velocity.",
                                            range=(0.0, 10.0))
    wheel_restart_after_s: float = knob(2.0, "Wheel odometry: a sample this much (seconds) before the newest is a "
                                        "restarted stream (a bag loop, a clock reset): the buffer starts over. "
                                        "Less than this before it: out of order, refused.", range=(0.0, 3600.0))
    wheel_history_s: float = knob(10.0, "Wheel odometry: samples kept (seconds before the newest).",
                                  range=(0.1, 3600.0))

    def __post_init__(self):
        validate_knobs(self)


class WheelOdometry:
    """The base's wheel odometry poses, newest last, in segments that no distance may span."""

    def __init__(self, config: Optional[WheelConfig] = None):
        self.config = config or WheelConfig()
        self.reset()

    def reset(self) -> None:
        self.stamps: List[float] = []
        self.positions: List[np.ndarray] = []
        self.rotations: List[np.ndarray] = []   # 4 quaternions x y z w
        self.segments: List[int] = []           # a jump or a restart starts a new segment
        self.segment = 0

    def __len__(self) -> int:
        return len(self.stamps)

    def add(self, stamp: float, position, quaternion_xyzw) -> str:
        """Take one sample of the base's pose in the wheel odometry frame; '' when taken, else why it was refused.

        A jump is refused too, but the buffer starts a new segment from it: if it was a reset of the wheel
        odometry, the samples after it continue from it; if it was a spike, the next sample jumps back.
        """
        try:
            stamp = float(stamp)
            position = np.asarray(position, dtype=np.float64).reshape(3)
            quaternion = np.asarray(quaternion_xyzw, dtype=np.float64).reshape(4)
        except (TypeError, ValueError):
            return "not a stamp, 3 position and 4 quaternion numbers"
        if not (np.isfinite(stamp) and np.all(np.isfinite(position)) and np.all(np.isfinite(quaternion))):
            return f"non-finite values (stamp {stamp}, position {position.tolist()}, quaternion {quaternion.tolist()})"
        norm = np.linalg.norm(quaternion)
        if norm < 1e-6:
            return "zero quaternion: not a rotation"
        quaternion = quaternion / norm
        cfg = self.config
        reason = ""
        if self.stamps:
            newest = self.stamps[-1]
            if stamp <= newest:
                if newest - stamp < cfg.wheel_restart_after_s:
                    return (f"stamp {stamp:.6f} is not after the newest sample's {newest:.6f} "
                            f"({stamp - newest:+.6f} s): out of order")
                reason = (f"stamp {stamp:.6f} is {newest - stamp:.3f} s before the newest sample's: the stream "
                          "restarted, the buffer starts over")
                self.reset()
            else:
                dt = stamp - newest
                speed = np.linalg.norm(position - self.positions[-1]) / dt
                turn = np.degrees((Rotation.from_quat(quaternion) * Rotation.from_quat(self.rotations[-1]).inv())
                                  .magnitude()) / dt
                if speed > cfg.wheel_max_speed_mps or turn > cfg.wheel_max_turn_rate_dps:
                    reason = (f"jump at {stamp:.6f}: {speed:.2f} m/s, {turn:.1f} deg/s since the previous sample "
                              f"(limits {cfg.wheel_max_speed_mps} m/s, {cfg.wheel_max_turn_rate_dps} deg/s): no "
                              "distance across it")
                    self.segment += 1
        self.stamps.append(stamp)
        self.positions.append(position)
        self.rotations.append(quaternion)
        self.segments.append(self.segment)
        self._forget(stamp - cfg.wheel_history_s)
        return reason

    def _forget(self, before: float) -> None:
        keep = bisect.bisect_left(self.stamps, before)
        if keep > 0:
            keep = min(keep, len(self.stamps) - 2) if len(self.stamps) >= 2 else 0
            del self.stamps[:keep], self.positions[:keep], self.rotations[:keep], self.segments[:keep]

    def pose_at(self, stamp: float) -> Tuple[Optional[np.ndarray], int, str]:
        """(T_odom_base 4 x 4 at `stamp`, its segment, '') or (None, -1, why not)."""
        cfg = self.config
        if len(self.stamps) < 2:
            return None, -1, f"{len(self.stamps)} wheel odometry sample(s), need 2"
        stamps = self.stamps
        exact = bisect.bisect_left(stamps, stamp)
        if exact < len(stamps) and stamps[exact] == stamp:   # a sample's own stamp (e.g. simulated at the images')
            return self._pose(exact), self.segments[exact], ""
        if stamp < stamps[0]:
            return None, -1, f"stamp {stamp:.6f} is before the oldest wheel odometry sample ({stamps[0]:.6f})"
        if stamp > stamps[-1]:
            ahead = stamp - stamps[-1]
            if ahead > cfg.wheel_max_extrapolation_s:
                return None, -1, (f"stamp {stamp:.6f} is {ahead:.3f} s after the newest wheel odometry sample "
                                  f"(at most {cfg.wheel_max_extrapolation_s} s)")
            i = len(stamps) - 1
        else:
            i = min(max(bisect.bisect_left(stamps, stamp), 1), len(stamps) - 1)
        if self.segments[i] != self.segments[i - 1]:
            return None, -1, f"stamp {stamp:.6f} is at a jump of the wheel odometry"
        t0, t1 = stamps[i - 1], stamps[i]
        if t1 - t0 > cfg.wheel_max_gap_s:
            return None, -1, (f"stamp {stamp:.6f} is between wheel odometry samples {t1 - t0:.3f} s apart "
                              f"(at most {cfg.wheel_max_gap_s} s)")
        a = (stamp - t0) / (t1 - t0)                 # > 1: extrapolated at the last samples' velocity
        r0, r1 = Rotation.from_quat(self.rotations[i - 1]), Rotation.from_quat(self.rotations[i])
        if a <= 1.0:
            rotation = Slerp([0.0, 1.0], Rotation.concatenate([r0, r1]))([a])[0]
        else:
            rotation = Rotation.from_rotvec(a * (r1 * r0.inv()).as_rotvec()) * r0
        position = self.positions[i - 1] + a * (self.positions[i] - self.positions[i - 1])
        return make_transform(rotation.as_matrix(), position), self.segments[i], ""

    def _pose(self, i: int) -> np.ndarray:
        return make_transform(Rotation.from_quat(self.rotations[i]).as_matrix(), self.positions[i])

    def travel(self, stamp0: float, stamp1: float,
               base_from_camera: Optional[np.ndarray] = None) -> Tuple[Optional[float], str]:
        """The distance (metres) the camera moved from `stamp0` to `stamp1`: (distance, '') or (None, why not).

        `base_from_camera` (4 x 4, metres): the camera's pose in the base frame; identity (the wheel odometry is the
        camera's own) when None.
        """
        T0, segment0, reason = self.pose_at(stamp0)
        if T0 is None:
            return None, reason
        T1, segment1, reason = self.pose_at(stamp1)
        if T1 is None:
            return None, reason
        if segment0 != segment1:
            return None, f"a jump of the wheel odometry lies between {stamp0:.6f} and {stamp1:.6f}"
        if base_from_camera is not None:
            T0, T1 = T0 @ base_from_camera, T1 @ base_from_camera
        return float(np.linalg.norm(T1[:3, 3] - T0[:3, 3])), ""


def simulate_wheel_odometry(stamps: np.ndarray, T_world_base: np.ndarray, scale_error: float, noise: float,
                            seed: int = 0) -> np.ndarray:
    """Wheel odometry poses (N x 4 x 4) of a base that moved along `T_world_base` (ground truth, N x 4 x 4).

    Each step's translation (in the base frame) is scaled by (1 + scale_error) (a wrong wheel radius) and by
    (1 + noise * n), n standard normal per step (slip, uneven ground); the rotations are the true ones. The
    poses start at the first true pose.
    """
    T_world_base = np.asarray(T_world_base, dtype=np.float64)
    rng = np.random.default_rng(seed)
    out = [T_world_base[0].copy()]
    for k in range(1, len(T_world_base)):
        step = invert_transform(T_world_base[k - 1]) @ T_world_base[k]
        step[:3, 3] *= (1.0 + scale_error) * (1.0 + noise * rng.standard_normal())
        out.append(out[-1] @ step)
    return np.stack(out)
