# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""REP-105 frames over real DDS, vo_node at its defaults (config/vo.yaml, no overrides), real KITTI 01 frames.

With the robot's mounting on /tf_static (base_link -> camera_link -> camera_optical_frame, from another process as
robot_state_publisher sends it): odom -> base_link with REP-103 axes (the car drives forward: base x grows, the twist
is forward), TF odom -> base_link, every twist covariance positive. Without TF: the documented fallback (base_link at
the camera, REP-103 axes, logged once); TF that comes later replaces it and odom stays continuous.
"""
import time

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lightglue_ros.ros.frames import OPTICAL_IN_BASE, T_base_camera_of, T_odom_base_of, applied_mounting
from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.vo.transforms import invert_transform
from ros_helpers import (Peer, ROBOT_BASE_FROM_CAMERA, camera_info, domain_id, positions, stamp_msg, stamp_seconds,
                         start_node, start_tf_static, stop_node, stop_tf_static)

DOMAIN_ID = domain_id(87)
CAMERA_FRAME = "camera_optical_frame"
KITTI = (718.856, 718.856, 607.1928, 185.2157)
SIZE = (1241, 376)


@pytest.fixture(scope="module")
def kitti(data_dir):
    paths = sorted((data_dir / "kitti01_51" / "image_0").glob("*.png"))
    return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths]


def send(peer, images, first_index: int) -> None:
    """Lock step at KITTI's 10 Hz stamps: each frame after the previous one's odometry."""
    for i, image in enumerate(images, start=first_index):
        stamp = stamp_msg(1000.0 + 0.1 * i)
        count = len(peer.received["odom"])
        peer.publish(numpy_to_image(image, "mono8", stamp, CAMERA_FRAME),
                     camera_info(KITTI, *SIZE, stamp, frame_id=CAMERA_FRAME))
        assert len(peer.wait("odom", count + 1, timeout=120)) == count + 1, f"no odometry for frame {i}"


def pose(m) -> np.ndarray:
    T = np.eye(4)
    q = m.pose.pose.orientation
    T[:3, :3], T[:3, 3] = Rotation.from_quat([q.x, q.y, q.z, q.w]).as_matrix(), positions([m])[0]
    return T


def check_rep103_odometry(odometry, tracked) -> None:
    """Odometry odom -> base_link, the car driving forward along base x, the twist forward, its covariance positive."""
    assert all(m.header.frame_id == "odom" and m.child_frame_id == "base_link" for m in odometry)
    p = positions(odometry)
    assert np.allclose(p[0], 0)
    assert np.all(np.diff(p[:, 0]) > 0), p  # forward
    assert np.all(np.abs(p[:, 2]) < 0.2 * p[:, 0].max()), p  # on the road: z is up
    for i, m in enumerate(odometry):
        covariance = np.reshape(m.twist.covariance, (6, 6))
        assert np.all(np.isfinite(covariance)) and np.all(np.diag(covariance) > 0), (i, np.diag(covariance))
        if tracked[i] and i > 0:
            assert m.twist.twist.linear.x > 5 * abs(m.twist.twist.linear.z), (i, m.twist.twist.linear)


def states_of(peer, odometry) -> list:
    states = {round(s["stamp"], 6): s["state"] for s in peer.statuses()}
    return [states.get(round(stamp_seconds(m.header.stamp), 6)) == "TRACKING" for m in odometry]


def test_mounting_from_tf_static_gives_odom_to_base_link_with_rep103_axes(kitti, tf2_msgs, tmp_path):
    from tf2_msgs.msg import TFMessage
    tf_static = start_tf_static(DOMAIN_ID)
    peer = Peer(DOMAIN_ID, record=("odom", "status"))
    transforms = []
    peer.node.create_subscription(TFMessage, "/tf", transforms.append, 100)
    node = start_node(DOMAIN_ID, tmp_path, defaults=True)
    try:
        peer.wait_for_node(node)
        send(peer, kitti[:8], 0)
        peer.wait("status", 8, timeout=10)
        deadline = time.monotonic() + 10
        while sum(len(m.transforms) for m in transforms) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
        stop_tf_static(tf_static)
    assert "mounting from TF: base_link -> camera_optical_frame = [1.2, 0, 1.5, -0.5, 0.5, -0.5, 0.5]" in log, log
    assert "REP-103 axes (x forward" not in log  # no fallback
    odometry = peer.received["odom"]
    tracked = states_of(peer, odometry)
    assert sum(tracked) >= 5, tracked
    check_rep103_odometry(odometry, tracked)
    # The car turns right through KITTI 01's curve: the base's yaw (about odom z) goes negative.
    assert Rotation.from_matrix(pose(odometry[-1])[:3, :3]).as_euler("zyx")[0] < -np.radians(5)
    # /tf: odom -> base_link at each odometry's stamp and pose.
    sent = {(t.header.stamp.sec, t.header.stamp.nanosec): t for message in transforms for t in message.transforms}
    for m in odometry:
        t = sent[(m.header.stamp.sec, m.header.stamp.nanosec)]
        assert (t.header.frame_id, t.child_frame_id) == ("odom", "base_link")
        assert [t.transform.translation.x, t.transform.translation.y, t.transform.translation.z] == \
            pytest.approx(positions([m])[0].tolist(), abs=1e-9)


def test_without_tf_the_fallback_then_tf_arriving_later_keeps_odom_continuous(kitti, tf2_msgs, tmp_path):
    peer = Peer(DOMAIN_ID, record=("odom", "status"))
    node = start_node(DOMAIN_ID, tmp_path, defaults=True)
    tf_static = None
    try:
        peer.wait_for_node(node)
        send(peer, kitti[:5], 0)
        tf_static = start_tf_static(DOMAIN_ID, subscribers=1)  # robot_state_publisher started late; the node has it
        send(peer, kitti[5:10], 5)
        peer.wait("status", 10, timeout=10)
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
        if tf_static is not None:
            stop_tf_static(tf_static)
    fallback = "no TF from base_link to 'camera_optical_frame' within 2 s (mounting_wait_s): base_link is the " \
               "camera with REP-103 axes (x forward, y left, z up"
    assert log.count(fallback) == 1, log
    assert log.count("mounting changed (odom re-anchored at the current pose): mounting from TF: base_link -> "
                     "camera_optical_frame") == 1, log
    odometry = peer.received["odom"]
    tracked = states_of(peer, odometry)
    assert sum(tracked) >= 7, tracked
    check_rep103_odometry(odometry, tracked)
    # Continuous across the change: the step into frame 5 is like its neighbours.
    p = positions(odometry)
    steps = np.linalg.norm(np.diff(p, axis=0), axis=1)
    mounting_log = [line for line in log.splitlines() if "mounting" in line]
    assert steps[4] < 1.5 * max(steps[3], steps[5]), (steps, mounting_log)
    # Monocular without wheel odometry the odometry is relative: of the TF mounting only its rotation applies
    # (frames.applied_mounting), the fallback's here, so the odometry goes on unchanged; the lever arm in metres
    # composed without re-anchoring would have jumped (re-anchoring itself: test_frames).
    statuses = [s for s in peer.statuses() if s["state"] == "TRACKING"]
    assert statuses and not any(s["mounting_translation_applied"] for s in statuses), statuses[-1]
    fallback_mount, robot_mount = T_base_camera_of(OPTICAL_IN_BASE), T_base_camera_of(ROBOT_BASE_FROM_CAMERA)
    applied = applied_mounting(robot_mount, metric=False)
    assert np.allclose(applied, fallback_mount, atol=1e-9)
    camera_4 = invert_transform(fallback_mount) @ pose(odometry[4]) @ fallback_mount  # the tracker's, at frame 4
    jump = np.linalg.norm(T_odom_base_of(camera_4, robot_mount)[:3, 3] - p[4])
    print("steps:", steps.round(4), "the jump of the lever arm composed without re-anchoring:", round(jump, 4))
    assert jump > 1.5 * steps.max()
    for a, b in ((5, 6), (6, 7), (8, 9)):
        motion = invert_transform(pose(odometry[a])) @ pose(odometry[b])
        camera_motion = invert_transform(applied) @ motion @ applied
        # the camera's own step is forward along its optical z, as before the change
        assert camera_motion[2, 3] > 5 * np.abs(camera_motion[:2, 3]).max(), camera_motion
