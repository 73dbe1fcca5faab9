# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""How vo_node publishes TF (lightglue_ros.ros.tf_broadcast): tf2_ros, else its own /tf publisher, else none.

Each case in a fresh interpreter on a real rclpy node; a module made unimportable there is one that is not installed.
"""
import json
import subprocess
import sys
import textwrap

from ros_helpers import ROOT, domain_id, ros_env

DOMAIN_ID = domain_id(82)
PROBE = """
    import json, sys
    for name in sys.argv[1:]:
        sys.modules[name] = None  # `import name` raises ImportError, as where it is not installed
    import rclpy
    from lightglue_ros.ros.tf_broadcast import make_broadcaster
    rclpy.init()
    node = rclpy.create_node("tf_probe")
    broadcaster, how = make_broadcaster(node)
    publisher = getattr(broadcaster, "pub_tf", None)
    qos = publisher.qos_profile if publisher is not None else None
    print(json.dumps({"how": how, "type": type(broadcaster).__name__, "topic": publisher and publisher.topic_name,
                      "qos": qos and [qos.depth, qos.reliability.name, qos.durability.name]}))
    node.destroy_node()
    rclpy.shutdown()
"""


def probe(*unimportable: str) -> dict:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(PROBE), *unimportable], cwd=ROOT,
                          env=ros_env(DOMAIN_ID), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_without_tf2_ros_the_node_publishes_tfmessage_on_tf_as_tf2_ros_would():
    found = probe("tf2_ros")
    assert found["type"] == "TFPublisher" and found["topic"] == "/tf"
    assert found["qos"] == [100, "RELIABLE", "VOLATILE"]  # tf2_ros's TransformBroadcaster's QoSProfile(depth=100)
    assert "TF published as tf2_msgs/TFMessage on /tf" in found["how"]


def test_without_tf2_ros_and_tf2_msgs_no_tf_and_the_warning():
    found = probe("tf2_ros", "tf2_msgs")
    assert found["type"] == "NoneType" and found["topic"] is None
    assert found["how"] == "tf2_ros is not importable: no TF is broadcast (odometry is still published)"
