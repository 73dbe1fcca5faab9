# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The node's map -> odom from the SLAM backend's correction, in the ROS frames (no DDS)."""
import numpy as np
import pytest
from geometry_msgs.msg import Transform
from scipy.spatial.transform import Rotation

from lightglue_ros.ros.frames import T_base_camera_of, T_odom_base_of, transform_msg_matrix
from lightglue_ros.ros.slam_services import map_from_odom_ros, set_pose


def rigid(rng, scale=1.0):
    T = np.eye(4)
    T[:3, :3] = Rotation.from_rotvec(rng.normal(size=3) * 0.5).as_matrix()
    T[:3, 3] = rng.normal(size=3) * scale
    return T


def test_map_from_odom_puts_the_base_where_the_correction_says():
    rng = np.random.default_rng(0)
    T_base_camera = T_base_camera_of((1.2, 0.0, 1.5, -0.5, 0.5, -0.5, 0.5))
    T_odom_world = T_base_camera      # odom's anchor at the start (frames.py)
    for _ in range(5):
        T_world_camera, correction = rigid(rng, 3.0), rigid(rng, 0.5)
        T_map_odom = map_from_odom_ros(T_odom_world, correction)
        T_odom_base = T_odom_base_of(T_world_camera, T_base_camera, T_odom_world)
        # the base in map: the corrected camera pose through the same mounting and anchor
        expected = T_odom_world @ correction @ T_world_camera @ np.linalg.inv(T_base_camera)
        assert T_map_odom @ T_odom_base == pytest.approx(expected, abs=1e-9)
        assert not np.allclose(T_map_odom, np.eye(4))
        message = Transform()
        set_pose(message.translation, message.rotation, T_map_odom)
        assert transform_msg_matrix(message) == pytest.approx(T_map_odom, abs=1e-9)
    # no correction: map and odom coincide
    assert map_from_odom_ros(T_odom_world, np.eye(4)) == pytest.approx(np.eye(4), abs=1e-12)
