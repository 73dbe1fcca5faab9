# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The frames module (lightglue_ros.ros.frames).

TF chains, the REP-103 fallback and odom's re-anchoring (no ROS); where the mounting comes from (its /tf_static
listener on a real rclpy node, fed its messages here).
"""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lightglue_ros.ros.frames import (OPTICAL_IN_BASE, T_base_camera_of, T_odom_base_of, T_world_camera_of,
                                      chain_transform, reanchored)
from lightglue_ros.vo.transforms import invert_transform, make_transform
from ros_helpers import domain_id


def random_transform(rng) -> np.ndarray:
    return make_transform(Rotation.random(random_state=rng).as_matrix(), rng.normal(size=3))


def test_a_chain_is_the_product_of_its_transforms_either_way_and_across_branches():
    rng = np.random.default_rng(0)
    T_base_link, T_link_optical, T_base_imu, T_odom_base = (random_transform(rng) for _ in range(4))
    edges = {"camera_link": ("base_link", T_base_link), "camera_optical_frame": ("camera_link", T_link_optical),
             "imu": ("base_link", T_base_imu), "base_link": ("odom", T_odom_base)}
    expected = T_base_link @ T_link_optical
    np.testing.assert_allclose(chain_transform(edges, "base_link", "camera_optical_frame"), expected, atol=1e-12)
    np.testing.assert_allclose(chain_transform(edges, "camera_optical_frame", "base_link"),
                               invert_transform(expected), atol=1e-12)
    # Two branches of base_link: up to it, then down.
    np.testing.assert_allclose(chain_transform(edges, "imu", "camera_optical_frame"),
                               invert_transform(T_base_imu) @ expected, atol=1e-12)
    np.testing.assert_allclose(chain_transform(edges, "base_link", "base_link"), np.eye(4))
    assert chain_transform(edges, "base_link", "elsewhere") is None
    assert chain_transform({**edges, "map": ("other_root", np.eye(4))}, "map", "camera_link") is None
    # A loop in the transforms given ends the walk instead of running forever.
    looped = {"a": ("b", random_transform(rng)), "b": ("a", random_transform(rng))}
    assert chain_transform(looped, "a", "c") is None


def test_the_fallback_gives_rep103_axes():
    """A camera looking forward: optical z (forward) is base x, optical x (right) is base -y, optical y (down) -z."""
    R = T_base_camera_of(OPTICAL_IN_BASE)[:3, :3]
    np.testing.assert_allclose(R @ [0, 0, 1], [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(R @ [1, 0, 0], [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(R @ [0, 1, 0], [0, 0, -1], atol=1e-12)
    # The camera moving 1 along its optical z: the base moves 1 along odom x.
    T_world_camera = make_transform(np.eye(3), [0.0, 0.0, 1.0])
    T = T_odom_base_of(T_world_camera, T_base_camera_of(OPTICAL_IN_BASE))
    np.testing.assert_allclose(T, make_transform(np.eye(3), [1.0, 0.0, 0.0]), atol=1e-12)


def test_odom_starts_at_the_identity_and_the_lever_arm_follows_rotation():
    rng = np.random.default_rng(1)
    T_base_camera = random_transform(rng)
    np.testing.assert_allclose(T_odom_base_of(np.eye(4), T_base_camera), np.eye(4), atol=1e-12)
    pose = random_transform(rng)
    np.testing.assert_allclose(T_odom_base_of(T_world_camera_of(pose, T_base_camera), T_base_camera), pose,
                               atol=1e-12)
    # The camera 1 m ahead of the base turns 90 degrees on the spot: the base swings round it.
    mounting = T_base_camera_of((1.0, 0.0, 0.0, -0.5, 0.5, -0.5, 0.5))
    yaw_left = make_transform(Rotation.from_rotvec([0, -np.pi / 2, 0]).as_matrix(), [0, 0, 0])  # about optical -y
    T = T_odom_base_of(yaw_left, mounting)
    np.testing.assert_allclose(T[:3, 3], [1.0, -1.0, 0.0], atol=1e-12)
    assert Rotation.from_matrix(T[:3, :3]).as_rotvec() == pytest.approx([0, 0, np.pi / 2])


def test_a_new_mounting_keeps_the_base_pose_and_then_moves_with_it():
    rng = np.random.default_rng(2)
    old, new = T_base_camera_of(OPTICAL_IN_BASE), T_base_camera_of((1.2, 0.0, 1.5, -0.5, 0.5, -0.5, 0.5))
    T_odom_world = old
    T_world_camera = random_transform(rng)
    before = T_odom_base_of(T_world_camera, old, T_odom_world)
    anchored = reanchored(T_odom_world, T_world_camera, old, new)
    np.testing.assert_allclose(T_odom_base_of(T_world_camera, new, anchored), before, atol=1e-12)
    # The next motion of the camera moves the base as the new mounting says.
    step = random_transform(rng)
    after = T_odom_base_of(T_world_camera @ step, new, anchored)
    np.testing.assert_allclose(invert_transform(before) @ after, new @ step @ invert_transform(new), atol=1e-12)


class Log:
    """The lines a MountingSource logs, by level."""

    def __init__(self):
        self.lines = []

    def info(self, message):
        self.lines.append(("info", message))

    def warning(self, message):
        self.lines.append(("warning", message))


def tf_message(transforms):
    from geometry_msgs.msg import TransformStamped
    from tf2_msgs.msg import TFMessage
    message = TFMessage()
    for parent, child, xyz, quaternion in transforms:
        t = TransformStamped()
        t.header.frame_id, t.child_frame_id = parent, child
        t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = xyz
        r = t.transform.rotation
        r.x, r.y, r.z, r.w = quaternion
        message.transforms.append(t)
    return message


@pytest.fixture
def static_listener(tf2_msgs):
    """The node's /tf_static listener on a real rclpy node (its messages handed to it here, not over DDS)."""
    import rclpy
    from tf2_msgs.msg import TFMessage

    from lightglue_ros.ros.frames import StaticTFListener
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id(86))  # its own: no other process's /tf_static reaches it
    node = rclpy.create_node("mounting_test", context=context, start_parameter_services=False)
    listener = StaticTFListener(node, TFMessage)
    yield listener
    listener.destroy()
    node.destroy_node()
    rclpy.try_shutdown(context=context)


def test_mounting_waits_a_bounded_time_then_falls_back_then_takes_tf_and_the_parameter_wins(static_listener):
    import time

    from lightglue_ros.ros.frames import MountingSource
    from lightglue_ros.ros.node_config import NodeConfig
    log = Log()
    source = MountingSource(static_listener, "from /tf_static", log)
    cfg = NodeConfig(mounting_wait_s=0.3)
    source.start(cfg.mounting_wait_s)
    start = time.monotonic()
    T = source.T_base_camera(cfg, "camera_optical_frame")
    assert 0.25 < time.monotonic() - start < 2.0  # waited, bounded
    np.testing.assert_allclose(T, T_base_camera_of(OPTICAL_IN_BASE))
    assert log.lines[-1][0] == "warning" and "no TF from base_link to 'camera_optical_frame' within 0.3 s" in \
        log.lines[-1][1]
    start = time.monotonic()
    source.T_base_camera(cfg, "camera_optical_frame")
    assert time.monotonic() - start < 0.1 and len(log.lines) == 1  # once decided: no more waiting, no more lines

    # robot_state_publisher's chain arrives (rounded values; a second message adds a frame, keeps the first).
    static_listener.on_message(tf_message([("base_link", "camera_link", (1.2, 0.0, 1.5), (0, 0, 0, 1))]))
    static_listener.on_message(tf_message([("camera_link", "camera_optical_frame", (0, 0, 0),
                                            (-0.5, 0.5, -0.5, 0.5))]))
    T = source.T_base_camera(cfg, "camera_optical_frame")
    np.testing.assert_allclose(T, T_base_camera_of((1.2, 0.0, 1.5, -0.5, 0.5, -0.5, 0.5)), atol=1e-12)
    assert log.lines[-1] == ("info", "mounting changed (odom re-anchored at the current pose): mounting from TF: "
                             "base_link -> camera_optical_frame = [1.2, 0, 1.5, -0.5, 0.5, -0.5, 0.5] (x y z qx qy "
                             "qz qw) (from /tf_static)")
    source.T_base_camera(cfg, "camera_optical_frame")
    assert len(log.lines) == 2  # the same: nothing new
    # A zero quaternion on /tf_static is no transform: the known one stays.
    static_listener.on_message(tf_message([("base_link", "camera_link", (9.0, 0.0, 0.0), (0, 0, 0, 0))]))
    np.testing.assert_allclose(source.T_base_camera(cfg, "camera_optical_frame"), T, atol=1e-12)

    # base_from_camera given: it overrides TF; base_frame '' (or the camera's frame): the camera's own pose.
    explicit = NodeConfig(base_from_camera=[0.1, 0.0, 0.2, -0.5, 0.5, -0.5, 0.5])
    np.testing.assert_allclose(source.T_base_camera(explicit, "camera_optical_frame"),
                               T_base_camera_of(explicit.base_from_camera))
    assert "base_from_camera parameter" in log.lines[-1][1]
    for camera_itself in (NodeConfig(base_frame=""), NodeConfig(base_frame="camera_optical_frame")):
        np.testing.assert_allclose(source.T_base_camera(camera_itself, "camera_optical_frame"), np.eye(4))
