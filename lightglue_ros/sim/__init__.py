# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Synthetic worlds for testing visual odometry: textured scenes ray cast on the CPU, with exact poses and depth.

    sequence = SyntheticSequence(trajectory="orbit", frames=300, size=(640, 480), seed=0)
    stamp, rgb, depth, T_world_camera = sequence.frame(i)

Three worlds: a room with boxes (every trajectory but `street` and `lookalike`), a city street grid a few hundred
metres across, which the `street` trajectory drives through (scale drift over distance), and a hall with two
identical bays, which `lookalike` passes once each (a trap for loop closure). `textures` and `street_textures`
make the procedural textures and their atlas, `scene` the common scene form and the room, `street` the street
grid, `hall` the look-alike hall, `renderer` ray casts a frame, `trajectories` moves the camera, `sequence` ties
them together. No ROS here: the `synthetic_camera` node in `ros/` publishes these sequences.
"""
from .hall import build_hall_scene
from .renderer import Renderer
from .scene import Scene, build_scene
from .sequence import SyntheticSequence, synthetic_camera
from .street import build_street_scene
from .trajectories import TRAJECTORIES

__all__ = ["Renderer", "Scene", "SyntheticSequence", "TRAJECTORIES", "build_hall_scene", "build_scene",
           "build_street_scene", "synthetic_camera"]
