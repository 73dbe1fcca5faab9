# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Frames: the tracker's camera-aligned world and the robot's odom and base frames (REP-105), tied by the mounting."""
from __future__ import annotations

import numpy as np

from lightglue_ros.vo.transforms import transform_from_quaternion


def T_base_camera_of(base_from_camera) -> np.ndarray:
    """The mounting (x y z qx qy qz qw, the camera's pose in the base frame) as a 4 x 4 transform."""
    return transform_from_quaternion(base_from_camera[:3], base_from_camera[3:])


def T_odom_base_of(T_world_camera: np.ndarray, T_base_camera: np.ndarray) -> np.ndarray:
    """The base in odom, where odom is where the base started and the world is where the camera started."""
    return T_base_camera @ T_world_camera @ np.linalg.inv(T_base_camera)


def T_world_camera_of(T_odom_base: np.ndarray, T_base_camera: np.ndarray) -> np.ndarray:
    """The inverse of `T_odom_base_of`: the camera pose the tracker starts from for a base pose in odom."""
    return np.linalg.inv(T_base_camera) @ T_odom_base @ T_base_camera


def applied_mounting(T_base_camera: np.ndarray, metric: bool) -> np.ndarray:
    """The mounting as the odometry can apply it: whole once the scale is metric, else its rotation alone.

    The translation is in metres; a monocular trajectory without wheel odometry or depth is in units of its first
    scene depth, and a lever arm in metres composed with it would mix the two (the base would swing by a
    wrongly scaled arm at every turn). Until then the odometry is the camera's optical centre in the base's axes.
    """
    if metric:
        return T_base_camera
    rotation_only = np.eye(4)
    rotation_only[:3, :3] = T_base_camera[:3, :3]
    return rotation_only
