# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A static TF broadcaster in plain rclpy, as tf2_ros's StaticTransformBroadcaster publishes.

One TFMessage on /tf_static, kept for subscribers that come later (depth 1, reliable, transient local). The transforms
are a JSON list on the command line, each {"parent", "child", "stamp": [sec, nanosec], "translation": [x, y, z],
"rotation": [x, y, z, w]}; a second argument N waits until N subscribers have matched (those running already). Prints
"published" once it is out, and serves it until its standard input closes.
"""
import json
import sys
import time

import rclpy
from geometry_msgs.msg import TransformStamped
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from tf2_msgs.msg import TFMessage

# tf2_ros.StaticBroadcasterQoS
STATIC_QOS = QoSProfile(depth=1, history=HistoryPolicy.KEEP_LAST, reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.TRANSIENT_LOCAL)


def transform(spec: dict) -> TransformStamped:
    msg = TransformStamped()
    msg.header.frame_id, msg.child_frame_id = spec["parent"], spec["child"]
    msg.header.stamp.sec, msg.header.stamp.nanosec = spec["stamp"]
    t, q = msg.transform.translation, msg.transform.rotation
    t.x, t.y, t.z = spec["translation"]
    q.x, q.y, q.z, q.w = spec["rotation"]
    return msg


def main() -> int:
    rclpy.init()
    node = rclpy.create_node("tf_static_publisher")
    publisher = node.create_publisher(TFMessage, "/tf_static", STATIC_QOS)
    publisher.publish(TFMessage(transforms=[transform(spec) for spec in json.loads(sys.argv[1])]))
    wait_for = int(sys.argv[2]) if len(sys.argv) > 2 else 0  # subscribers already running that must have it
    while publisher.get_subscription_count() < wait_for:
        time.sleep(0.05)
    if wait_for:
        time.sleep(0.5)  # matched: the reliable, transient-local sample follows
    print("published", flush=True)
    sys.stdin.read()  # DDS serves late subscribers from its own threads meanwhile
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
