# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Camera trajectories through the room: each maps (rng, duration) to a function of time -> T_world_camera (4 x 4).

Cameras use optical axes (x right, y down, z forward) in the room frame of `scene` (y down, gravity). The paths
keep clear of the boxes and move smoothly: at 30 frames/s under 3 cm and 1.5 degrees a frame.
"""
from __future__ import annotations

import math
from typing import Callable, Dict

import numpy as np

from lightglue_ros.vo.transforms import make_transform


def look_rotation(forward: np.ndarray, roll: float = 0.0) -> np.ndarray:
    """World-from-camera rotation looking along `forward` with the image's y axis towards gravity (+y)."""
    z = forward / np.linalg.norm(forward)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    R = np.stack([x, np.cross(z, x), z], axis=1)
    c, s = math.cos(roll), math.sin(roll)
    return R @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def heading(yaw: float, pitch: float) -> np.ndarray:
    """Direction with `yaw` about the gravity axis (0 = +z, positive towards +x) and `pitch` down."""
    return np.array([math.sin(yaw) * math.cos(pitch), math.sin(pitch), math.cos(yaw) * math.cos(pitch)])


class Wobble:
    """Smooth random signal: a sum of sinusoids with random frequencies in [f_lo, f_hi] Hz and phases, in [-1, 1]."""

    def __init__(self, rng: np.random.Generator, f_lo: float, f_hi: float, terms: int = 3):
        self.freq = rng.uniform(f_lo, f_hi, terms) * 2 * math.pi
        self.phase = rng.uniform(0, 2 * math.pi, terms)
        self.weight = rng.uniform(0.5, 1.0, terms)
        self.weight /= self.weight.sum()

    def __call__(self, t: float) -> float:
        return float(np.sum(self.weight * np.sin(self.freq * t + self.phase)))


def orbit(rng, duration):
    """Circle of radius 2.5 m around the middle cluster at 0.3 m/s, looking at it, bobbing gently."""
    start, speed, radius = rng.uniform(0, 2 * math.pi), 0.3, 2.5

    def at(t):
        angle = start + speed / radius * t
        p = np.array([radius * math.sin(angle), 0.1 * math.sin(0.6 * t), -radius * math.cos(angle)])
        return make_transform(look_rotation(np.array([0.0, 0.5, 0.0]) - p), p)
    return at


def forward(rng, duration):
    """Along a circle of radius 2.6 m at 0.5 m/s looking where it goes (slightly down): forward motion."""
    start, speed, radius = rng.uniform(0, 2 * math.pi), 0.5, 2.6
    direction = rng.choice([-1.0, 1.0])

    def at(t):
        angle = start + direction * speed / radius * t
        p = np.array([radius * math.sin(angle), 0.05 * math.sin(2.0 * t), -radius * math.cos(angle)])
        tangent = direction * np.array([math.cos(angle), 0.0, math.sin(angle)])
        return make_transform(look_rotation(tangent + [0.0, 0.08, 0.0]), p)
    return at


def handheld(rng, duration):
    """A person walking round the room at ~0.25 m/s, looking about, with hand shake (mm, tenths of a degree)."""
    start, speed = rng.uniform(0, 2 * math.pi), 0.25
    sway, look, tilt, roll = (Wobble(rng, 0.03, 0.2) for _ in range(4))
    shake = [Wobble(rng, 3.0, 8.0) for _ in range(6)]

    def at(t):
        angle = start + speed / 2.5 * t
        radius = 2.5 + 0.3 * sway(t)
        p = np.array([radius * math.sin(angle), 0.08 * tilt(0.7 * t), -radius * math.cos(angle)])
        p += 0.003 * np.array([s(t) for s in shake[:3]])
        yaw = angle + math.pi / 2 + 0.6 * look(t)          # tangent, swinging +-35 degrees
        pitch = 0.1 + 0.12 * tilt(t) + 0.005 * shake[3](t)
        R = look_rotation(heading(yaw + 0.005 * shake[4](t), pitch), 0.05 * roll(t) + 0.005 * shake[5](t))
        return make_transform(R, p)
    return at


def line(rng, duration):
    """Straight line along x at constant speed (0.4 m/s, slower when long), constant orientation: scale tests."""
    speed = min(0.4, 5.0 / max(duration, 1e-9))
    z, yaw = -2.8 + rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.3)
    R = look_rotation(heading(yaw, 0.08))

    def at(t):
        return make_transform(R, [speed * (t - duration / 2), 0.0, z])
    return at


def rotation(rng, duration):
    """Pure rotation about a fixed optical centre: panning +-40 degrees, tilting, rolling slowly."""
    p = np.array([0.0, 0.0, -2.6]) + rng.uniform(-0.3, 0.3, 3) * [1, 0.3, 1]
    pan, tilt, roll = Wobble(rng, 0.04, 0.08), Wobble(rng, 0.05, 0.1), Wobble(rng, 0.05, 0.1)

    def at(t):
        return make_transform(look_rotation(heading(0.7 * pan(t), 0.1 + 0.15 * tilt(t)), 0.08 * roll(t)), p)
    return at


TRAJECTORIES: Dict[str, Callable] = {"forward": forward, "orbit": orbit, "handheld": handheld, "line": line,
                                     "rotation": rotation}
