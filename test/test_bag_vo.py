# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Our bag player into a vo_node process gives the trajectory of `lightglue-vo run` on the same bag.

A rosbag2 of real TUM frames played under sim time; poses equal to 1e-6 relative (but for the frames before the
monocular initialisation: the runner places them once it is made, the node has published them held). For equality
the node must process every frame: the player is lock-stepped to the node's `odom` (each image waits for the
previous frame's odometry), and both processes run single-threaded so that the floating-point work is the same.
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
import yaml
from nav_msgs.msg import Odometry
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile
from scipy.spatial.transform import Rotation

from lightglue_ros.ros.frames import OPTICAL_IN_BASE, T_base_camera_of, T_world_camera_of
from lightglue_ros.ros.params_yaml import NODE_KEY
from lightglue_ros.vo.transforms import transform_from_quaternion
from ros_helpers import domain_id
from tum_bag import IMAGE_TOPIC, INFO_TOPIC, TUM_K, tum_frames, write_tum_bag

DOMAIN_ID = domain_id(72)
ROOT = Path(__file__).resolve().parents[1]
FRAMES = 8
# Small enough for CI on two cores; the same settings go to the node (YAML) and the runner (flags).
MAX_KEYPOINTS = 256
FALLBACK = T_base_camera_of(OPTICAL_IN_BASE)  # the node's mounting without TF


def pose_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """stamps, positions, quaternions (sign fixed to w >= 0) from TUM rows."""
    q = rows[:, 4:8] * np.sign(rows[:, 7:8] + 1e-300)
    return rows[:, 0], rows[:, 1:4], q


@pytest.fixture(scope="module")
def bag(data_dir, tmp_path_factory):
    return write_tum_bag(tmp_path_factory.mktemp("bag") / "tum", tum_frames(data_dir, FRAMES))


@pytest.fixture(scope="module")
def env():
    # One thread each: the same arithmetic in the node and the runner, whatever the machine.
    return dict(os.environ, ROS_DOMAIN_ID=str(DOMAIN_ID), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
                OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def node_trajectory(bag: Path, env: dict, tmp_path: Path) -> np.ndarray:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({NODE_KEY: {"ros__parameters": {
        "max_keypoints": MAX_KEYPOINTS, "device": "cpu", "use_sim_time": True, "qos": "reliable"}}}))
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=DOMAIN_ID)
    listener = rclpy.create_node("odom_listener", context=context)
    odometry = []
    listener.create_subscription(Odometry, "/odom", odometry.append, QoSProfile(depth=100))
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(listener)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    node = subprocess.Popen(
        [sys.executable, "-m", "lightglue_ros.ros.vo_node", "--ros-args", "-r", "__node:=vo_node",
         "--params-file", str(ROOT / "config" / "vo.yaml"), "--params-file", str(overrides),
         "-r", f"image:={IMAGE_TOPIC}", "-r", f"camera_info:={INFO_TOPIC}"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        player = subprocess.run(
            [sys.executable, "-m", "lightglue_ros.ros.bag_player", str(bag), "--clock", "--rate", "4",
             "--ack-topic", "/odom", "--ack-timeout", "60", "--start-delay", "1",
             "--wait-for-subscribers", IMAGE_TOPIC, INFO_TOPIC],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
        assert player.returncode == 0, player.stderr
        assert "no message on /odom" not in player.stderr, "the node skipped a frame"
        deadline = time.monotonic() + 10
        while len(odometry) < FRAMES and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        node.terminate()
        try:
            log = node.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:  # a slow exit is not this test's subject (as stop_node); its log still is
            node.kill()
            log = node.communicate()[0]
        executor.shutdown()
        spinner.join()
        listener.destroy_node()
        rclpy.try_shutdown(context=context)
    assert len(odometry) == FRAMES, f"{len(odometry)} odometry messages for {FRAMES} frames\n{log[-3000:]}"
    rows = []
    for msg in odometry:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        # base_link (no TF: the camera with REP-103 axes) back to the camera's optical axes, as the runner writes
        T = T_world_camera_of(transform_from_quaternion([p.x, p.y, p.z], [q.x, q.y, q.z, q.w]), FALLBACK)
        rows.append([msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9, *T[:3, 3],
                     *Rotation.from_matrix(T[:3, :3]).as_quat()])
    return np.array(rows)


def runner_trajectory(bag: Path, env: dict, tmp_path: Path) -> np.ndarray:
    output = tmp_path / "run.txt"
    fx, _, cx, _, fy, cy = TUM_K[:6]
    done = subprocess.run(
        [sys.executable, "-m", "lightglue_ros.cli", "run", str(bag), "--topic", IMAGE_TOPIC,
         "--camera", str(fx), str(fy), str(cx), str(cy), "--features", "aliked",
         "--max-keypoints", str(MAX_KEYPOINTS), "--device", "cpu", "--output", str(output)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return np.loadtxt(output, ndmin=2)


def test_bag_through_the_node_equals_the_offline_runner(bag, env, tmp_path, data_dir):
    from_node = node_trajectory(bag, env, tmp_path)
    from_runner = runner_trajectory(bag, env, tmp_path)
    t_node, p_node, q_node = pose_rows(from_node)
    t_run, p_run, q_run = pose_rows(from_runner)
    # Every frame, stamped with its header time (the bag's, i.e. sim time).
    np.testing.assert_allclose(t_node, [t * 1e-9 for t, _ in tum_frames(data_dir, FRAMES)],
                               atol=1e-6)
    np.testing.assert_allclose(t_node, t_run, atol=1e-6)
    # The camera moved (so the comparison is not between two identities) ...
    scale = np.linalg.norm(p_run, axis=1).max()
    assert scale > 0 and Rotation.from_quat(q_run[-1]).magnitude() > np.radians(1)
    # The frames that waited for the monocular initialisation: live, held at the first keyframe's position (the node
    # published them before the initialisation came); offline, placed by the initialising frame (`revised`).
    moved = 1 + int(np.argmax(np.linalg.norm(p_node[1:], axis=1) > 0))
    assert np.all(p_node[1:moved] == 0) and np.all(np.linalg.norm(p_run[1:moved], axis=1) > 0)
    # ... and both computed the same poses for every other frame.
    np.testing.assert_allclose(p_node[moved:], p_run[moved:], rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(q_node[moved:], q_run[moved:], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(p_node[0], p_run[0], atol=1e-9)
