# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Camera trajectories: each maps (rng, duration) to a function of time -> T_world_camera (4 x 4).

Cameras use optical axes (x right, y down, z forward) in the world frame of `scene` (y down, gravity). All but
`street` and `lookalike` move through the room: they keep clear of the boxes and move smoothly, at 30 frames/s
under 3 cm and 1.5 degrees a frame. `street` drives a car through the street world (`street.py`) at KITTI's
speeds, `lookalike` passes the look-alike hall's twin bays (`hall.py`).
"""
from __future__ import annotations

import math
from typing import Callable, Dict

import numpy as np

from lightglue_ros.vo.transforms import make_transform

from .hall import PATH_Z, SHIFT
from .street import PITCH, STREETS


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


def loop(rng, duration):
    """`forward`'s circle, LOOP_TURNS times round in `duration`: it comes back to its start and goes on (loop closure).

    The speed follows from the duration: 240 frames at 10 frames/s are 0.85 m/s and 1.9 degrees a frame.
    """
    start, radius = rng.uniform(0, 2 * math.pi), 2.6
    direction = rng.choice([-1.0, 1.0])
    rate = LOOP_TURNS * 2 * math.pi / max(duration, 1e-9)

    def at(t):
        angle = start + direction * rate * t
        p = np.array([radius * math.sin(angle), 0.05 * math.sin(2.0 * t), -radius * math.cos(angle)])
        tangent = direction * np.array([math.cos(angle), 0.0, math.sin(angle)])
        return make_transform(look_rotation(tangent + [0.0, 0.08, 0.0]), p)
    return at


LOOP_TURNS = 1.25


def lookalike(rng, duration):
    """Sideways along the look-alike hall (`hall.py`), past its first bay and then its twin, in `duration`.

    The camera faces the far wall (within 6 degrees of square, pitched slightly down) from PATH_Z, bobbing
    gently, and never comes back: any loop found is false. It runs from LOOKALIKE_SPAN[0] to [1] (20 m) whatever
    the duration (like `loop`): 200 frames at 10 frames/s are 1 m/s. The twins are 0.8 of the duration apart in
    time: a duration of 13 s or more keeps them over `SlamConfig.exclude_recent_s` (10 s) apart.
    """
    yaw, x0, x1 = rng.uniform(-0.1, 0.1), *LOOKALIKE_SPAN
    R = look_rotation(heading(yaw, 0.08))
    speed = (x1 - x0) / max(duration, 1e-9)

    def at(t):
        return make_transform(R, [x0 + speed * t, 0.04 * math.sin(1.3 * t), PATH_Z])
    return at


LOOKALIKE_SPAN = (-SHIFT / 2 - 2.5, SHIFT / 2 + 1.5)   # 2.5 m before the first bay's middle to 1.5 m past the twin's


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


CAMERA_HEIGHT = 1.65                      # metres above the ground, as KITTI's camera
YAW_RATE = 0.55                           # rad/s in the middle of a turn: 90 degrees in ~3.6 s, as KITTI's cars turn
EASE = 0.4                                # the steering eases in and out over 0.4 turn radius of path
BRAKING = 2.0                             # m/s^2, slowing down for a turn and speeding up after it
STEP = 0.02                               # metres: the path is sampled this finely and interpolated
STRAIGHT_ON = 1 / 3                       # the chance of going straight on at a crossing (where the street goes on)


def turn_heading(sigma: np.ndarray) -> np.ndarray:
    """Heading change along a 90-degree turn of radius 1 at arc lengths `sigma` (0 to its length pi/2 + EASE).

    The curvature rises as a half cosine from 0 to 1 over EASE, stays 1, and falls back symmetrically.
    """
    length = math.pi / 2 + EASE

    def eased(x):  # integral of (1 - cos(pi x / EASE)) / 2, then the arc of curvature 1
        ramp = x / 2 - EASE / (2 * math.pi) * np.sin(math.pi * np.minimum(x, EASE) / EASE)
        return np.where(x < EASE, ramp, EASE / 2 + (x - EASE))
    sigma = np.clip(sigma, 0.0, length)
    return np.where(sigma <= length / 2, eased(sigma), math.pi / 2 - eased(length - sigma))


def turn_reach() -> float:
    """How far before a corner a turn of radius 1 starts (and after it, on the new street, it ends).

    A symmetric turn starts and ends equally far from the crossing of its two centre lines.
    """
    sigma = np.linspace(0.0, math.pi / 2 + EASE, 20001)
    y = np.cos(turn_heading(sigma))
    return float(np.sum((y[1:] + y[:-1]) * np.diff(sigma)) / 2)  # the trapezoid rule (numpy 1.x has no trapezoid)


def street_route(rng, length: float):
    """A random drive on the street graph, at least `length` metres: (start, yaw, [(arc length, radius, +-1)]).

    Nodes are the crossings of the centre lines STREETS; at each the car turns left or right (or, at STRAIGHT_ON,
    goes straight on), never leaving the grid and never turning back. Turns are (arc length where they start, radius,
    +1 right / -1 left).
    """
    n = len(STREETS)
    node = rng.integers(0, n, 2)
    moves = [np.array(d) for d in ((1, 0), (0, 1), (-1, 0), (0, -1))]
    inside = [d for d in moves if np.all((node + d >= 0) & (node + d < n))]
    direction = inside[int(rng.integers(len(inside)))]
    start_fraction = rng.uniform(0.3, 0.6)
    start = STREETS[node] + start_fraction * PITCH * direction
    yaw = math.atan2(direction[0], direction[1])
    reach = turn_reach()
    to_node, travelled, turns = (1 - start_fraction) * PITCH, 0.0, []
    node = node + direction
    while travelled + to_node < length:
        right = np.array([direction[1], -direction[0]])
        options = [(d, sign) for d, sign in ((direction, 0), (right, 1), (-right, -1))
                   if np.all((node + d >= 0) & (node + d < n))]
        turning = [option for option in options if option[1]]
        if not turning or (options[0][1] == 0 and rng.random() < STRAIGHT_ON):
            direction, sign = options[0]
        else:
            direction, sign = turning[int(rng.integers(len(turning)))]
        if sign:
            radius = rng.uniform(7.0, 10.0)
            turns.append((travelled + to_node - reach * radius, radius, sign))
            travelled += to_node - reach * radius + radius * (math.pi / 2 + EASE)
            to_node = PITCH - reach * radius
        else:
            travelled, to_node = travelled + to_node, PITCH
        node = node + direction
    return start, yaw, turns


def street(rng, duration):
    """A car on the street grid's centre lines, the camera CAMERA_HEIGHT above the ground looking ahead.

    Cruising at 6-8 m/s (varying slowly along the way), braking to YAW_RATE * radius (3.9-5.5 m/s) for turns of
    radius 7-10 m at the crossings, with a car's bounce, pitch and roll (leaning out of the turns). On average about
    5.8 m/s: at 10 frames/s, KITTI's rate, 0.6 m a frame, 2000 frames some 1.15 km. The motion is a function of
    time: the frame rate only samples it.
    """
    cruise, swing, wavelength, phase = rng.uniform(6.5, 7.5), rng.uniform(0.2, 0.4), rng.uniform(150, 300), \
        rng.uniform(0, 2 * math.pi)
    bounce, pitch, roll = Wobble(rng, 1.0, 2.0), Wobble(rng, 0.5, 1.5), Wobble(rng, 0.3, 1.0)
    # The route comes last: it draws as many numbers as it has crossings, so a longer drive is this one, continued.
    length = 8.0 * duration + 50.0                            # more than the car can drive in `duration`
    start, yaw, turns = street_route(rng, length)
    s = np.arange(0.0, length + STEP, STEP)
    yaws, curvature = np.full(s.shape, yaw), np.zeros(s.shape)
    speed = cruise + swing * np.sin(2 * math.pi * s / wavelength + phase)
    unit = math.pi / 2 + EASE                                 # a turn's length in radii
    for begin, radius, sign in turns:
        local = (s - begin) / radius
        yaws += sign * turn_heading(local)
        ease = np.clip(np.minimum(local, unit - local) / EASE, 0.0, 1.0)
        curvature += sign * (1 - np.cos(math.pi * ease)) / 2 / radius
        distance = np.maximum(np.maximum(begin - s, s - begin - unit * radius), 0.0)
        np.minimum(speed, np.sqrt((YAW_RATE * radius) ** 2 + 2 * BRAKING * distance), out=speed)
    # Trapezoid rule along the path, for the position and for the time (dt = ds / v).
    x = start[0] + np.concatenate([[0.0], np.cumsum((np.sin(yaws[1:]) + np.sin(yaws[:-1])) * (STEP / 2))])
    z = start[1] + np.concatenate([[0.0], np.cumsum((np.cos(yaws[1:]) + np.cos(yaws[:-1])) * (STEP / 2))])
    elapsed = np.concatenate([[0.0], np.cumsum((1 / speed[1:] + 1 / speed[:-1]) * (STEP / 2))])

    def at(t):
        arc = np.interp(t, elapsed, s)
        v, k = np.interp(arc, s, speed), np.interp(arc, s, curvature)
        p = [np.interp(arc, s, x), -CAMERA_HEIGHT + 0.01 * bounce(t), np.interp(arc, s, z)]
        lean = -0.006 * v * v * k          # rad per m/s^2 of sideways acceleration: right turns lower the left side
        R = look_rotation(heading(float(np.interp(arc, s, yaws)), 0.005 * pitch(t)), lean + 0.003 * roll(t))
        return make_transform(R, p)
    return at


TRAJECTORIES: Dict[str, Callable] = {"forward": forward, "orbit": orbit, "handheld": handheld, "line": line,
                                     "rotation": rotation, "street": street, "loop": loop,
                                     "lookalike": lookalike}
