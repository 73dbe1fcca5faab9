# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The bag player over real DDS.

A rosbag2 (and a ROS 1 bag) of real TUM frames, played under sim time, received by an rclpy subscriber with the recorded
stamps and pixels.
"""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile
from rosbags.rosbag2 import StoragePlugin
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from lightglue_ros.ros.bag_player import Track, default_step_topic, playback_offset, select_tracks
from ros_helpers import domain_id
from tum_bag import IMAGE_TOPIC, INFO_TOPIC, TUM_K, tum_frames, write_tum_bag

DOMAIN_ID = domain_id(71)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ros_env():
    env = dict(os.environ, ROS_DOMAIN_ID=str(DOMAIN_ID), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    yield env, context
    rclpy.try_shutdown(context=context)


@pytest.fixture(scope="module")
def frames(data_dir):
    return tum_frames(data_dir, 6)


class Listener:
    """Collects images, camera infos and /clock in a sim-time node, spinning in a thread."""

    def __init__(self, context, ack_topic=None, ack_delay=0.0):
        self.node = rclpy.create_node("bag_listener", context=context,
                                      parameter_overrides=[Parameter("use_sim_time", value=True)])
        self.images, self.infos, self.clock, self.events = [], [], [], []
        qos = QoSProfile(depth=100)
        self.node.create_subscription(Image, IMAGE_TOPIC, self.on_image, qos)
        self.node.create_subscription(CameraInfo, INFO_TOPIC, self.infos.append, qos)
        self.node.create_subscription(Clock, "/clock", lambda m: self.clock.append(m.clock), qos)
        self.ack_pub = self.node.create_publisher(Header, ack_topic, qos) if ack_topic else None
        self.ack_delay = ack_delay
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def on_image(self, msg):
        self.images.append(msg)
        self.events.append("image")
        if self.ack_pub is not None:
            # A slow consumer: the player must wait for this before the next image.
            time.sleep(self.ack_delay)
            self.events.append("ack")
            self.ack_pub.publish(msg.header)

    def wait_for(self, images, infos=0, timeout=30.0):
        """The executor may still be working through delivered messages when the player exits."""
        deadline = time.monotonic() + timeout
        while (len(self.images) < images or len(self.infos) < infos) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()


def play(env, bag, *extra, timeout=60):
    cmd = [sys.executable, "-m", "lightglue_ros.ros.bag_player", str(bag), *extra]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def stamp_ns(stamp):
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def check_frames(listener, frames):
    assert [stamp_ns(m.header.stamp) for m in listener.images] == [t for t, _ in frames]
    for msg, (_, bgr) in zip(listener.images, frames):
        assert msg.encoding == "bgr8" and (msg.height, msg.width, msg.step) == (480, 640, 640 * 3)
        received = np.frombuffer(bytes(msg.data), np.uint8).reshape(bgr.shape)
        np.testing.assert_array_equal(received, bgr)


def test_rosbag2_plays_frames_and_clock_under_sim_time(ros_env, frames, tmp_path):
    env, context = ros_env
    bag = write_tum_bag(tmp_path / "tum", frames)
    listener = Listener(context)
    try:
        done = play(env, bag, "--clock", "--rate", "8", "--wait-for-subscribers", IMAGE_TOPIC, INFO_TOPIC, "/clock",
                    "--start-delay", "2")
        assert done.returncode == 0, done.stderr
        listener.wait_for(len(frames), len(frames))
        check_frames(listener, frames)
        assert [stamp_ns(m.header.stamp) for m in listener.infos] == [t for t, _ in frames]
        np.testing.assert_allclose(listener.infos[0].k, TUM_K)
        # /clock carries the bag time, never runs backwards, and spans the recording. Its last ticks may still be
        # in the executor when the images are all in.
        deadline = time.monotonic() + 5
        while (not listener.clock or stamp_ns(listener.clock[-1]) != frames[-1][0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        clock = [stamp_ns(c) for c in listener.clock]
        assert clock == sorted(clock)
        assert clock[0] <= frames[0][0] - 1 and clock[-1] == frames[-1][0]
        assert len(clock) > 2 * len(frames)  # ticks between messages too
        # The sim-time node's clock is the bag's.
        deadline = time.monotonic() + 5
        while abs(listener.node.get_clock().now().nanoseconds - frames[-1][0]) > 1000:
            assert time.monotonic() < deadline, "the sim-time clock did not reach the bag's end"
            time.sleep(0.05)
    finally:
        listener.close()
    # The recorded ~5 s took about 5/8 s at --rate 8 (plus start-up).
    assert "played 12 messages" in done.stderr


def test_mcap_file_topic_filter_and_lock_step(ros_env, frames, tmp_path):
    """A single .mcap file, only the image topic, each image waiting for the consumer's ack."""
    env, context = ros_env
    bag = write_tum_bag(tmp_path / "tum_mcap", frames[:4], storage=StoragePlugin.MCAP)
    mcap = next(bag.glob("*.mcap"))
    listener = Listener(context, ack_topic="/consumer_ack", ack_delay=0.4)
    try:
        done = play(env, mcap, "--topics", IMAGE_TOPIC, "--rate", "100", "--ack-topic", "/consumer_ack",
                    "--wait-for-subscribers", "--start-delay", "2")
        assert done.returncode == 0, done.stderr
        listener.wait_for(4)
        check_frames(listener, frames[:4])
        assert listener.infos == []
        # At 100x the frames would be 10 ms apart; lock-step kept each behind the previous ack.
        assert listener.events == ["image", "ack"] * 4
    finally:
        listener.close()


def test_ros1_bag_and_loop(ros_env, frames, tmp_path):
    """ROS 1 messages are converted to CDR; --loop starts over (stamps jump back)."""
    from rosbags.rosbag1 import Writer
    from rosbags.typesys import Stores, get_typestore

    env, context = ros_env
    store = get_typestore(Stores.ROS1_NOETIC)
    T = store.types
    bag = tmp_path / "tum.bag"
    with Writer(bag) as writer:
        conn = writer.add_connection(IMAGE_TOPIC, "sensor_msgs/msg/Image", typestore=store)
        for i, (t, bgr) in enumerate(frames[:2]):
            header = T["std_msgs/msg/Header"](seq=i, stamp=T["builtin_interfaces/msg/Time"](
                sec=t // 1_000_000_000, nanosec=t % 1_000_000_000), frame_id="camera")
            msg = T["sensor_msgs/msg/Image"](header=header, height=480, width=640, encoding="bgr8",
                                             is_bigendian=0, step=640 * 3, data=bgr.ravel())
            writer.write(conn, t, store.serialize_ros1(msg, conn.msgtype))
    listener = Listener(context)
    cmd = [sys.executable, "-m", "lightglue_ros.ros.bag_player", str(bag), "--loop", "--rate", "4",
           "--wait-for-subscribers", "--start-delay", "2"]
    player = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(listener.images) < 5 and time.monotonic() < deadline and player.poll() is None:
            time.sleep(0.05)
        assert player.poll() is None, player.stdout.read()  # still looping
        stamps = [stamp_ns(m.header.stamp) for m in listener.images[:4]]
        assert stamps == [frames[0][0], frames[1][0]] * 2
        check_frames(type("L", (), {"images": listener.images[:2]}), frames[:2])
    finally:
        player.terminate()
        player.wait(10)
        listener.close()


def test_timing_and_selection_rules():
    assert playback_offset(3_000_000_000, 1_000_000_000, 2.0) == pytest.approx(1.0)

    class Conn:
        """A rosbags connection: topic and message type."""

        def __init__(self, topic, msgtype):
            self.topic, self.msgtype = topic, msgtype
            self.ext = type("Ext", (), {"serialization_format": "cdr"})()

    conns = [Conn("/cam/image", "sensor_msgs/msg/Image"), Conn("/cam/depth", "sensor_msgs/msg/Image"),
             Conn("/cam/camera_info", "sensor_msgs/msg/CameraInfo"), Conn("/odd", "no_such_pkg/msg/Thing")]
    skipped = []
    tracks = select_tracks(conns, None, log=skipped.append)
    assert [t.topic for t in tracks] == ["/cam/image", "/cam/depth", "/cam/camera_info"]
    assert tracks[0].msg_class is Image and "no_such_pkg/msg/Thing" in skipped[0]
    assert default_step_topic(tracks) == "/cam/image"
    with pytest.raises(ValueError, match="not in the bag: /missing"):
        select_tracks(conns, ["missing"])
    with pytest.raises(ValueError, match="needs --step-topic"):
        default_step_topic([Track("/a", "sensor_msgs/msg/Image", Image), Track("/b", "sensor_msgs/msg/Image", Image)])
