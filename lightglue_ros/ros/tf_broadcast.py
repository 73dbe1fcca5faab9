# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""TF for vo_node: tf2_ros's TransformBroadcaster when importable, else the same publisher made here.

A broadcaster is a publisher of tf2_msgs/TFMessage on `/tf`; tf2_ros's uses QoSProfile(depth=100) (reliable,
volatile), so listeners cannot tell the two apart. tf2_msgs alone is enough: a ROS install without tf2_ros (or a
pip-installed rclpy with built messages) still gets TF.
"""
from __future__ import annotations

from typing import Optional, Tuple

from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

# tf2_ros.TransformBroadcaster's default (tf2_ros_py/tf2_ros/transform_broadcaster.py).
TF_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)


class TFPublisher:
    """tf2_ros.TransformBroadcaster's interface (sendTransform) on a plain /tf publisher."""

    def __init__(self, node, message_type):
        self.message_type = message_type
        self.pub_tf = node.create_publisher(message_type, "/tf", TF_QOS)

    def sendTransform(self, transform) -> None:  # noqa: N802  (tf2_ros's name, so either can be used)
        transforms = list(transform) if isinstance(transform, (list, tuple)) else [transform]
        self.pub_tf.publish(self.message_type(transforms=transforms))


def make_broadcaster(node) -> Tuple[Optional[object], str]:
    """(broadcaster or None, how TF is published: a line for the log)."""
    try:
        from tf2_ros import TransformBroadcaster
        return TransformBroadcaster(node), "TF through tf2_ros's TransformBroadcaster on /tf"
    except ImportError:
        pass
    try:
        from tf2_msgs.msg import TFMessage
    except ImportError:
        return None, "tf2_ros is not importable: no TF is broadcast (odometry is still published)"
    return TFPublisher(node, TFMessage), "tf2_ros is not importable: TF published as tf2_msgs/TFMessage on /tf"
