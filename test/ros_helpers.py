# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Real rclpy over real DDS for the node tests.

A vo_node process, and an in-test peer that publishes frames and records what the node publishes. Each test module uses
its own ROS_DOMAIN_ID (`domain_id`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry, Path as PathMsg
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import String

ROOT = Path(__file__).resolve().parents[1]
TUM_INTRINSICS = (535.4, 539.2, 320.1, 247.6)


def domain_id(base: int) -> int:
    """A test module's ROS_DOMAIN_ID, shifted by LGR_TEST_DOMAIN_OFFSET so checkouts tested side by side don't talk."""
    domain = base + int(os.environ.get("LGR_TEST_DOMAIN_OFFSET", "0"))
    if not 0 <= domain <= 232:  # Fast DDS's port mapping ends there
        raise ValueError(f"ROS domain {domain} (test base {base} + LGR_TEST_DOMAIN_OFFSET) is outside 0-232")
    return domain


def ros_env(domain_id: int) -> dict:
    return dict(os.environ, ROS_DOMAIN_ID=str(domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
                PYTHONUNBUFFERED="1")


FASTDDS_PROFILE = ROOT / "config" / "fastdds_large_images.xml"


def start_node(domain_id: int, tmp_path: Path, defaults: bool = False, env: dict | None = None, remap=(),
               **parameters) -> subprocess.Popen:
    """vo_node as a separate process with config/vo.yaml plus test overrides (small and on the CPU for CI).

    `defaults`: as a user starts it, no overrides but the `parameters` given (e.g. the robot's frames).
    """
    import yaml

    from lightglue_ros.ros.params_yaml import NODE_KEY
    args = ["--params-file", str(ROOT / "config" / "vo.yaml")]
    overrides = parameters if defaults else {"device": "cpu", "max_keypoints": 256, **parameters}
    if overrides:
        params = tmp_path / "overrides.yaml"
        params.write_text(yaml.safe_dump({NODE_KEY: {"ros__parameters": overrides}}))
        args += ["--params-file", str(params)]
    for remapping in remap:
        args += ["-r", remapping]
    log = open(tmp_path / "vo_node.log", "w")
    return subprocess.Popen([sys.executable, "-m", "lightglue_ros.ros.vo_node", "--ros-args", *args],
                            env={**ros_env(domain_id), **(env or {})}, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)


def stop_node(process: subprocess.Popen, tmp_path: Path) -> str:
    """Stop the node; its log. A node that died on its own is a failure of the test that used it."""
    alive = process.poll() is None
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log = (tmp_path / "vo_node.log").read_text()
    assert alive, f"vo_node exited with {process.returncode}:\n{log[-4000:]}"
    return log


def stamp_msg(seconds: float):
    from builtin_interfaces.msg import Time
    sec = int(np.floor(seconds))
    return Time(sec=sec, nanosec=int(round((seconds - sec) * 1e9)) % 1_000_000_000)


def camera_info(intrinsics, width: int, height: int, stamp, frame_id="camera") -> CameraInfo:
    fx, fy, cx, cy = intrinsics
    msg = CameraInfo(width=width, height=height, distortion_model="plumb_bob", d=[0.0] * 5,
                     k=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0])
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    return msg


class Peer:
    """Publishes image + camera_info, records odom, path, matches and status (spun on a background thread).

    `record`: the topics it subscribes to (a topic left out is not subscribed to, as by a user who does not look).
    """

    TOPICS = {"odom": Odometry, "path": PathMsg, "matches": PointCloud2, "status": String,
              "/diagnostics": DiagnosticArray}

    def __init__(self, domain_id: int, reliable: bool = True, image_topic: str = "image",
                 record=tuple(TOPICS)):
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node("test_peer", context=self.context)
        qos = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE if reliable else
                         ReliabilityPolicy.BEST_EFFORT)
        self.image_pub = self.node.create_publisher(Image, image_topic, qos)
        self.info_pub = self.node.create_publisher(CameraInfo, "camera_info", qos)
        self.depth_pub = self.node.create_publisher(Image, "depth", qos)
        self.received = {"odom": [], "path": [], "matches": [], "status": [], "/diagnostics": []}
        self.arrival = {}     # odom stamp -> monotonic arrival
        self.arrived_at = {}  # id(msg) -> monotonic arrival
        self.subscriptions = {}  # topic -> the peer's subscription
        for topic in record:
            self.subscribe(topic)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def subscribe(self, topic: str):
        subscription = self.node.create_subscription(self.TOPICS[topic], topic, self.recorder(topic),
                                                     QoSProfile(depth=1000))
        self.subscriptions[topic] = subscription
        return subscription

    def unmatched(self) -> list[str]:
        """The topics the peer subscribes to that no publisher is matched to yet."""
        return [topic for topic, s in self.subscriptions.items() if s.get_publisher_count() == 0]

    def recorder(self, topic):
        def record(msg):
            self.received[topic].append(msg)
            self.arrived_at[id(msg)] = time.monotonic()
            if topic == "odom":
                self.arrival[stamp_seconds(msg.header.stamp)] = time.monotonic()
        return record

    def wait_for_node(self, process: subprocess.Popen, timeout: float = 120.0) -> None:
        """Until the node subscribes to `image` (it loads and warms up its models first) and its outputs are matched.

        A status published before the peer's subscription matched the node's (new, after a cleanup) publisher is
        lost: CI saw the first frame's odometry arrive and its status not, after a fixed 0.5 s.
        """
        deadline = time.monotonic() + timeout
        while self.image_pub.get_subscription_count() == 0 or self.unmatched():
            assert process.poll() is None, "vo_node exited during start-up (see its log)"
            assert time.monotonic() < deadline, \
                f"vo_node did not subscribe to image or publish {', '.join(self.unmatched())}"
            time.sleep(0.1)
        time.sleep(0.5)  # the node's side of the discovery (its writers match the peer's readers)

    def publish(self, image_msg: Image, info: CameraInfo | None = None) -> None:
        if info is not None:
            self.info_pub.publish(info)
        self.image_pub.publish(image_msg)

    def wait(self, topic: str, count: int, timeout: float = 60.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.received[topic]) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received[topic]

    def statuses(self) -> list[dict]:
        return [json.loads(m.data) for m in self.received["status"]]

    def diagnostics(self, after: float = 0.0) -> dict:
        """The node's newest /diagnostics values (and `level`), waiting for one published after `after` (monotonic)."""
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            fresh = [m for m in self.received["/diagnostics"] if self.arrived_at.get(id(m), 0) > after]
            if fresh:
                status = fresh[-1].status[0]
                return {**{kv.key: kv.value for kv in status.values}, "level": int.from_bytes(status.level, "little"),
                        "message": status.message}
            time.sleep(0.1)
        raise AssertionError("no /diagnostics from vo_node")

    def close(self) -> None:
        self.executor.shutdown()
        self.thread.join()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


def stamp_seconds(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def positions(odometry) -> np.ndarray:
    return np.array([[m.pose.pose.position.x, m.pose.pose.position.y, m.pose.pose.position.z] for m in odometry])


def call(peer, kind, name, request, timeout=120.0):
    """Call a service of the node from the peer (spun on its own thread); the response."""
    client = peer.node.create_client(kind, name)
    assert client.wait_for_service(timeout_sec=60.0), f"no service {name}"
    future = client.call_async(request)
    deadline = time.monotonic() + timeout
    while not future.done():
        assert time.monotonic() < deadline, f"{name} did not answer"
        time.sleep(0.05)
    peer.node.destroy_client(client)
    return future.result()


def set_parameter(peer, name, value):
    """Set one of vo_node's parameters at run time; the SetParametersResult (successful, reason)."""
    kinds = {bool: (ParameterType.PARAMETER_BOOL, "bool_value"), int: (ParameterType.PARAMETER_INTEGER,
             "integer_value"), str: (ParameterType.PARAMETER_STRING, "string_value"),
             list: (ParameterType.PARAMETER_DOUBLE_ARRAY, "double_array_value")}
    kind, field = kinds[type(value)]
    parameter = Parameter(name=name, value=ParameterValue(type=kind, **{field: value}))
    request = SetParameters.Request(parameters=[parameter])
    return call(peer, SetParameters, "/vo_node/set_parameters", request).results[0]


# A robot's camera as robot_state_publisher sends it: base_link -> camera_link (1.2 m ahead of and 1.5 m above the
# base, level) -> camera_optical_frame (the optical axes: x right, y down, z forward).
ROBOT_TF = [
    {"parent": "base_link", "child": "camera_link", "stamp": [0, 0], "translation": [1.2, 0.0, 1.5],
     "rotation": [0.0, 0.0, 0.0, 1.0]},
    {"parent": "camera_link", "child": "camera_optical_frame", "stamp": [0, 0], "translation": [0.0, 0.0, 0.0],
     "rotation": [-0.5, 0.5, -0.5, 0.5]},
]
ROBOT_BASE_FROM_CAMERA = (1.2, 0.0, 1.5, -0.5, 0.5, -0.5, 0.5)  # the same chain as one pose


def start_tf_static(domain_id: int, transforms=ROBOT_TF, subscribers: int = 0) -> subprocess.Popen:
    """test/tf_static_publisher.py as a separate process, once it has published (and reached `subscribers`).

    Close its stdin to stop it.
    """
    import json
    process = subprocess.Popen([sys.executable, str(ROOT / "test" / "tf_static_publisher.py"), json.dumps(transforms),
                                str(subscribers)],
                               env=ros_env(domain_id), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if line != "published\n":
        process.kill()
        raise AssertionError(f"tf_static_publisher.py: {line!r}\n{process.stderr.read()[-3000:]}")
    return process


def stop_tf_static(process: subprocess.Popen) -> None:
    process.stdin.close()  # its signal to exit
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
