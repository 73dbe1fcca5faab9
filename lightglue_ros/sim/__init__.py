# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A synthetic world for testing visual odometry: a textured room ray cast on the CPU, with exact poses and depth.

    sequence = SyntheticSequence(trajectory="orbit", frames=300, size=(640, 480), seed=0)
    stamp, rgb, depth, T_world_camera = sequence.frame(i)

`textures` makes the procedural textures and their atlas, `scene` the room and its boxes, `renderer` ray casts a
frame, `trajectories` moves the camera, `sequence` ties them together. No ROS here: the `synthetic_camera` node in
`ros/` publishes these sequences.
"""
from .renderer import Renderer
from .scene import Scene, build_scene
from .sequence import SyntheticSequence, synthetic_camera
from .trajectories import TRAJECTORIES

__all__ = ["Renderer", "Scene", "SyntheticSequence", "TRAJECTORIES", "build_scene", "synthetic_camera"]
