# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""TF messages over real DDS: tf2_msgs/TFMessage built by the test session (test/build_tf2_msgs.py).

A separate process publishes on /tf_static as a static broadcaster does; this one subscribes after the message was
sent, as a TF listener that starts later, and gets it from the publisher's transient-local history, intact.
"""
import time

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from ros_helpers import domain_id, start_tf_static, stop_tf_static

DOMAIN_ID = domain_id(73)
# Values a wrong offset, width or field order in the type support would not reproduce.
TRANSFORMS = [
    {"parent": "odom", "child": "base_link", "stamp": [1_700_000_000, 123_456_789],
     "translation": [1.25, -2.5, 0.1], "rotation": [0.0, 0.0, 0.3826834323650898, 0.9238795325112867]},
    {"parent": "base_link", "child": "camera_optical_frame", "stamp": [4_294_967_295 // 2, 999_999_999],
     "translation": [0.05, 0.0, 1e-300], "rotation": [-0.5, 0.5, -0.5, 0.5]},
]
STATIC_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)


@pytest.fixture
def static_publisher(tf2_msgs):
    """The publisher process, once it has published."""
    process = start_tf_static(DOMAIN_ID, TRANSFORMS)
    try:
        yield process
    finally:
        stop_tf_static(process)


@pytest.fixture
def node(monkeypatch):
    """An rclpy node in this process, discovering as the publisher does (ros_env)."""
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    node = rclpy.create_node("tf_listener", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    yield node, executor
    executor.shutdown()
    node.destroy_node()
    rclpy.try_shutdown(context=context)


def spin_until(executor, done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)


def test_tf_static_from_another_process(tf2_msgs, static_publisher, node):
    """Received whole by a subscriber that came after it was sent; one that asks for no history gets nothing."""
    from tf2_msgs.msg import TFMessage
    node, executor = node
    received, volatile = [], []
    node.create_subscription(TFMessage, "/tf_static", received.append, STATIC_QOS)
    node.create_subscription(TFMessage, "/tf_static", volatile.append,
                             QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
    spin_until(executor, lambda: received, timeout=20.0)
    assert len(received) == 1, "no TFMessage on /tf_static from the publisher's transient-local history"
    # The volatile subscription matched the same publisher and got the sample nowhere else: what arrived is history.
    spin_until(executor, lambda: volatile, timeout=1.0)
    assert volatile == []

    got = [{"parent": t.header.frame_id, "child": t.child_frame_id,
            "stamp": [t.header.stamp.sec, t.header.stamp.nanosec],
            "translation": [t.transform.translation.x, t.transform.translation.y, t.transform.translation.z],
            "rotation": [t.transform.rotation.x, t.transform.rotation.y, t.transform.rotation.z,
                         t.transform.rotation.w]} for t in received[0].transforms]
    assert got == TRANSFORMS  # exactly: doubles travel unchanged

    # The graph as `ros2 topic info -v /tf_static` shows it: the real type name, and the static broadcaster's QoS.
    publishers = [p for p in node.get_publishers_info_by_topic("/tf_static") if p.node_name == "tf_static_publisher"]
    assert [p.topic_type for p in publishers] == ["tf2_msgs/msg/TFMessage"]
    assert publishers[0].qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL
    assert publishers[0].qos_profile.reliability == ReliabilityPolicy.RELIABLE
