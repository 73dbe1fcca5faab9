# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node as a separate process over real DDS, started with config/vo.yaml.

Real TUM frames and a synthetic sequence in, odom / path / matches / status out, one odometry per frame with that
frame's stamp.
"""
import importlib.util
import time

import cv2
import numpy as np
import pytest

from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.ros.odometry_output import MATCH_DTYPE
from lightglue_ros.sim import SyntheticSequence
from lightglue_ros.vo.evaluation import evaluate_trajectory
from lightglue_ros.vo.tum import read_tum
from ros_helpers import (Peer, TUM_INTRINSICS, camera_info, domain_id, positions, stamp_msg, stamp_seconds, start_node,
                         stop_node)

DOMAIN_ID = domain_id(61)
try:  # a ROS install's, else the one the test session builds (conftest.py); absent only if that build failed
    from tf2_msgs.msg import TFMessage
except ImportError:
    TFMessage = None
# tf2_ros: wherever a ROS install is, absent from PyPI; without it vo_node publishes TFMessage on /tf itself.
TF2_ROS = importlib.util.find_spec("tf2_ros") is not None


@pytest.fixture
def peer():
    peer = Peer(DOMAIN_ID)
    yield peer
    peer.close()


def pose_matrices(odometry) -> np.ndarray:
    from scipy.spatial.transform import Rotation
    poses = []
    for m in odometry:
        T = np.eye(4)
        q = m.pose.pose.orientation
        T[:3, :3] = Rotation.from_quat([q.x, q.y, q.z, q.w]).as_matrix()
        T[:3, 3] = positions([m])[0]
        poses.append(T)
    return np.stack(poses)


def publish_in_lock_step(peer, frames, info_for) -> None:
    """Each frame after the previous one's odometry, so that the node processes every frame."""
    peer.info_pub.publish(info_for(frames[0][1]))
    time.sleep(0.3)  # the camera is known before the first image, as with a running driver
    for i, (stamp, image_msg) in enumerate(frames):
        peer.publish(image_msg, info_for(image_msg))
        peer.wait("odom", i + 1, timeout=60)
        assert len(peer.received["odom"]) == i + 1, f"no odometry for frame {i}"


def test_real_tum_frames(peer, data_dir, tmp_path):
    node = start_node(DOMAIN_ID, tmp_path, max_keypoints=1024)
    transforms = []
    if TFMessage is not None:  # the transforms must be the odometry's (through tf2_ros or the node's publisher)
        peer.node.create_subscription(TFMessage, "/tf", transforms.append, 100)
    try:
        peer.wait_for_node(node)
        paths = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[:8]
        frames = []
        for path in paths:
            stamp = stamp_msg(float(path.stem))
            frames.append((stamp, numpy_to_image(cv2.imread(str(path)), "bgr8", stamp, "camera")))
        publish_in_lock_step(peer, frames, lambda m: camera_info(TUM_INTRINSICS, 640, 480, m.header.stamp))
        peer.wait("status", len(frames), timeout=10)
        peer.wait("matches", len(frames), timeout=10)
    finally:
        log = stop_node(node, tmp_path)
    odometry = peer.received["odom"]
    # One odometry per frame, stamped with the frame's header time, in the odom frame.
    assert [stamp_seconds(m.header.stamp) for m in odometry] == pytest.approx([float(p.stem) for p in paths],
                                                                              abs=1e-6)
    assert all(m.header.frame_id == "odom" and m.child_frame_id == "base_link" for m in odometry)  # REP-105
    assert "base_link is the camera with REP-103 axes" in log  # no TF here: the fallback, logged
    assert np.allclose(positions(odometry[:1]), 0)
    assert len(peer.received["path"][-1].poses) == len(frames)
    # matches: typed points, keyframe carried along, pixels inside the image.
    cloud = peer.received["matches"][-1]
    assert [f.name for f in cloud.fields] == list(MATCH_DTYPE.names)
    points = np.frombuffer(bytes(cloud.data), MATCH_DTYPE)
    assert len(points) > 50 and points["inlier"].sum() > 30
    assert np.all((points["u1"] >= 0) & (points["u1"] < 640) & (points["v1"] >= 0) & (points["v1"] < 480))
    statuses = peer.statuses()
    assert statuses[-1]["state"] == "TRACKING", statuses[-1]
    assert points["keyframe_id"][0] == statuses[-1]["keyframe_id"]
    assert {"extract", "match"} <= set(statuses[-1]["timings_ms"]) and statuses[-1]["layers"] >= 1
    # The trajectory against the motion-capture ground truth (monocular: Sim3), as the VO issue scores it.
    truth_stamps, truth_poses = read_tum(data_dir / "tum_fr3_office_17" / "groundtruth.txt")
    errors = evaluate_trajectory([stamp_seconds(m.header.stamp) for m in odometry], pose_matrices(odometry),
                                 truth_stamps, truth_poses, correct_scale=True)
    print("vo_node on TUM:", errors.summary())
    assert errors.matched >= len(frames) - 1  # the first frame is 67 ms before the first ground-truth pose
    assert errors.ate_rmse < 0.02 * errors.path_length, errors.summary()
    if TFMessage is None:  # neither tf2_ros nor tf2_msgs: one warning, no crash
        assert not TF2_ROS, "tf2_ros without tf2_msgs"
        assert log.count("no TF is broadcast") == 1
        assert transforms == []
    else:  # through tf2_ros, or without it the node's own TFMessage publisher
        assert log.count("TF through tf2_ros" if TF2_ROS else "TF published as tf2_msgs/TFMessage on /tf") == 1
        sent = [t for message in transforms for t in message.transforms]
        assert len(sent) == len(odometry) and all(t.header.frame_id == "odom" for t in sent)
        assert np.allclose([[t.transform.translation.x, t.transform.translation.y, t.transform.translation.z]
                            for t in sent], positions(odometry))


def test_synthetic_rgbd_sequence(peer, tmp_path):
    """A synthetic camera with aligned depth (32FC1): metric odometry, scored with SE(3) alignment."""
    sequence = SyntheticSequence("orbit", frames=30, size=(320, 240), seed=3)
    node = start_node(DOMAIN_ID, tmp_path)
    try:
        peer.wait_for_node(node)
        frames, depths = [], {}
        for i in range(len(sequence.stamps)):
            stamp_s, rgb, depth_m, _ = sequence.frame(i)
            stamp = stamp_msg(100.0 + stamp_s)
            frames.append((stamp, numpy_to_image(rgb, "rgb8", stamp, "synthetic_camera")))
            depths[id(frames[-1][1])] = numpy_to_image(depth_m.astype(np.float32), "32FC1", stamp, "synthetic_camera")
        camera = sequence.camera
        intrinsics = (camera.fx, camera.fy, camera.cx, camera.cy)

        def info_and_depth(image_msg):
            peer.depth_pub.publish(depths[id(image_msg)])
            return camera_info(intrinsics, 320, 240, image_msg.header.stamp)

        publish_in_lock_step(peer, frames, info_and_depth)
        peer.wait("status", len(frames), timeout=10)
    finally:
        stop_node(node, tmp_path)
    odometry = peer.received["odom"]
    assert len(odometry) == len(frames)
    assert [stamp_seconds(m.header.stamp) for m in odometry] == pytest.approx(100.0 + sequence.stamps, abs=1e-6)
    states = [s["state"] for s in peer.statuses()]
    assert states.count("TRACKING") >= len(frames) - 2, states
    errors = evaluate_trajectory(100.0 + sequence.stamps, pose_matrices(odometry), 100.0 + sequence.stamps,
                                 sequence.relative_poses(), correct_scale=False)
    print("vo_node on a synthetic RGB-D orbit:", errors.summary())
    assert errors.ate_rmse < 0.02 * errors.path_length + 0.005, errors.summary()


def test_path_kept_without_subscribers_for_one_who_comes(tmp_path):
    """The Path is published only while someone subscribes; the poses are kept meanwhile (the last path_max_length).

    A subscriber that comes after 5 frames gets, with the 6th, the path of the last 4.
    """
    peer = Peer(DOMAIN_ID, record=("odom", "status"))
    sequence = SyntheticSequence("orbit", frames=6, size=(320, 240), seed=3)
    camera = sequence.camera
    node = start_node(DOMAIN_ID, tmp_path, path_max_length=4)
    try:
        peer.wait_for_node(node)
        frames = []
        for i in range(len(sequence.stamps)):
            stamp = stamp_msg(100.0 + sequence.stamps[i])
            frames.append((stamp, numpy_to_image(sequence.frame(i)[1], "rgb8", stamp, "synthetic_camera")))

        def info_for(image_msg):
            return camera_info((camera.fx, camera.fy, camera.cx, camera.cy), 320, 240, image_msg.header.stamp)

        publish_in_lock_step(peer, frames[:-1], info_for)
        peer.subscribe("path")
        deadline = time.monotonic() + 10.0
        while "path" in peer.unmatched() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the node's side of the discovery
        peer.publish(frames[-1][1], info_for(frames[-1][1]))
        paths = peer.wait("path", 1, timeout=30)
    finally:
        stop_node(node, tmp_path)
        peer.close()
    assert len(peer.received["odom"]) == len(frames)
    assert len(paths) == 1
    stamps = [stamp_seconds(p.header.stamp) for p in paths[0].poses]
    assert stamps == pytest.approx([stamp_seconds(stamp) for stamp, _ in frames[-4:]], abs=1e-6), stamps
    assert paths[0].header.frame_id == "odom" and paths[0].header.stamp == frames[-1][0]
