# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node's twist covariance and its /tf, over real DDS, the node started with its defaults (config/vo.yaml).

Real TUM frames, then blank ones (nothing to track: the pose is held), then TUM frames again. Every Odometry's twist
covariance has a positive diagonal, large while the pose is held; /tf carries odom -> base_link at each
odometry's pose and stamp: through tf2_ros when importable, else published by the node itself as tf2_msgs/TFMessage.
"""
import importlib.util
import time

import cv2
import numpy as np
import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.vo.tracker import HELD_VARIANCE
from ros_helpers import Peer, TUM_INTRINSICS, camera_info, domain_id, stamp_msg, stamp_seconds, start_node, stop_node

DOMAIN_ID = domain_id(81)
TF2_ROS = importlib.util.find_spec("tf2_ros") is not None


def test_twist_covariance_and_tf(data_dir, tmp_path):
    from tf2_msgs.msg import TFMessage  # a ROS install's, else the one conftest.py builds

    peer = Peer(DOMAIN_ID, record=("odom", "status"))
    transforms = []
    peer.node.create_subscription(TFMessage, "/tf", transforms.append,
                                  QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE))
    node = start_node(DOMAIN_ID, tmp_path, defaults=True)
    try:
        peer.wait_for_node(node)
        paths = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[:11]
        images = [cv2.imread(str(p)) for p in paths]
        blank = np.full_like(images[0], 128)  # no features: the tracker holds the pose
        sequence = images[:7] + [blank, blank] + images[7:]
        stamps = [float(paths[0].stem) + 0.1 * i for i in range(len(sequence))]
        info = camera_info(TUM_INTRINSICS, 640, 480, stamp_msg(stamps[0]))
        peer.info_pub.publish(info)
        time.sleep(0.3)  # the camera is known before the first image, as with a running driver
        for i, (stamp, image) in enumerate(zip(stamps, sequence)):
            header_stamp = stamp_msg(stamp)
            peer.publish(numpy_to_image(image, "bgr8", header_stamp, "camera"),
                         camera_info(TUM_INTRINSICS, 640, 480, header_stamp))
            peer.wait("odom", i + 1, timeout=120)  # lock step: every frame processed
            assert len(peer.received["odom"]) == i + 1, f"no odometry for frame {i}"
        peer.wait("status", len(sequence), timeout=10)
        deadline = time.monotonic() + 10
        while sum(len(m.transforms) for m in transforms) < len(sequence) and time.monotonic() < deadline:
            time.sleep(0.05)
        tf_publishers = peer.node.get_publishers_info_by_topic("/tf")
    finally:
        log = stop_node(node, tmp_path)
        peer.close()

    odometry = peer.received["odom"]
    states = {round(s["stamp"], 6): s["state"] for s in peer.statuses()}
    state = [states[round(stamp_seconds(m.header.stamp), 6)] for m in odometry]
    print("states:", state)
    print("twist sd:", [np.sqrt(np.diag(np.reshape(m.twist.covariance, (6, 6)))).round(4).tolist() for m in odometry])
    assert state[7] != "TRACKING" and state[8] != "TRACKING", state  # the blank frames hold the pose
    assert state.count("TRACKING") >= 6, state
    measured = 0
    for i, m in enumerate(odometry):
        covariance = np.array(m.twist.covariance).reshape(6, 6)
        diagonal = np.diag(covariance)
        assert np.all(np.isfinite(covariance)) and np.all(diagonal > 0), (i, state[i], diagonal)
        assert np.allclose(covariance, covariance.T)
        if state[i] != "TRACKING":  # not a measurement: "unknown", as the held pose's covariance says
            assert np.all(diagonal >= HELD_VARIANCE / 2), (i, state[i], diagonal)
        elif i > 0 and state[i - 1] == "TRACKING":  # a measurement between two tracked frames
            assert np.all(diagonal < HELD_VARIANCE / 100), (i, diagonal)
            measured += 1
    assert measured >= 4, state

    # /tf: one transform per odometry, odom -> base_link, at the odometry's stamp and pose.
    if TF2_ROS:
        assert "TF through tf2_ros" in log
    else:
        assert log.count("TF published as tf2_msgs/TFMessage on /tf") == 1, log[-3000:]
    assert len(tf_publishers) == 1
    qos = tf_publishers[0].qos_profile  # tf2_ros's TransformBroadcaster's: reliable, volatile
    assert qos.reliability == ReliabilityPolicy.RELIABLE and qos.durability == DurabilityPolicy.VOLATILE
    sent = {(t.header.stamp.sec, t.header.stamp.nanosec): t for message in transforms for t in message.transforms}
    assert len(sent) == len(odometry)
    for m in odometry:
        t = sent[(m.header.stamp.sec, m.header.stamp.nanosec)]
        assert t.header.frame_id == m.header.frame_id == "odom"
        assert t.child_frame_id == m.child_frame_id == "base_link"  # REP-105 (no TF: at the camera, REP-103 axes)
        p, q = m.pose.pose.position, m.pose.pose.orientation
        assert [t.transform.translation.x, t.transform.translation.y, t.transform.translation.z] == \
            pytest.approx([p.x, p.y, p.z], abs=1e-9)
        r = t.transform.rotation
        assert [r.x, r.y, r.z, r.w] == pytest.approx([q.x, q.y, q.z, q.w], abs=1e-9)
