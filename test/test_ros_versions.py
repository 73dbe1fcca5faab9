# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The node's ROS layer on the oldest distribution it supports (Humble), where rclpy lacks two things Iron added.

Humble cannot run here (the PyPI wheels are Kilted's), so what it lacks is taken away from the real rclpy in a child
process: the module `rclpy.event_handler` (Humble has it as `rclpy.qos_event`) and `Subscription.get_publisher_count`.
"""
import subprocess
import sys
import textwrap

from ros_helpers import ROOT, domain_id, ros_env

DOMAIN_ID = domain_id(68)

HUMBLE_RCLPY = """
import sys
import time

import rclpy
import rclpy.node
import rclpy.qos_event  # here a shim over event_handler: loaded before that is taken away
from rclpy.subscription import Subscription
from std_msgs.msg import String

sys.modules["rclpy.event_handler"] = None  # importing it raises ImportError, as on Humble
del Subscription.get_publisher_count  # Iron's
from lightglue_ros.ros import qos

assert qos.SubscriptionEventCallbacks is rclpy.qos_event.SubscriptionEventCallbacks
rclpy.init()
node = rclpy.create_node("humble_check")
counts = []
subscription = qos.InputSubscription(node, String, "humble_check", lambda msg: None, "reliable", 2, on_lost=print)
counts.append(subscription.publisher_count())
publisher = node.create_publisher(String, "humble_check", 10)
deadline = time.monotonic() + 10.0
while subscription.publisher_count() == 0 and time.monotonic() < deadline:
    time.sleep(0.05)
counts.append(subscription.publisher_count())
print("counts", counts)
node.destroy_node()
rclpy.try_shutdown()
"""


def test_qos_runs_on_humbles_rclpy():
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(HUMBLE_RCLPY)], cwd=ROOT, env=ros_env(DOMAIN_ID),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "counts [0, 1]" in done.stdout, done.stdout
