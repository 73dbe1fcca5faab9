# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node with wheel odometry over real DDS: a monocular camera on a robot, its odometry metric.

A separate process (this test's peer) sends KITTI 01 frames with CameraInfo and the robot's wheel odometry
(nav_msgs/Odometry of base_link, simulated from the ground truth with a 2 % scale error and 1 % noise per step,
10 Hz, stamped between the frames) to the node at its defaults, given only the mounting: the camera 1.2 m ahead
of and 1.5 m above base_link, looking forward. base_link's trajectory on `odom`, aligned with SE(3) only (no
scale), is within 2 % of the path; the mounting's translation (metres) is applied since the scale is metric; a
NaN sample and one going backwards are logged, counted and survived.
"""
import time

import cv2
import numpy as np
from nav_msgs.msg import Odometry
from rclpy.qos import QoSProfile, ReliabilityPolicy
from scipy.spatial.transform import Rotation

from lightglue_ros.ros.frames import T_odom_base_of
from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.vo.evaluation import evaluate_trajectory, interpolate_poses
from lightglue_ros.vo.tracker import METRIC_PRIOR
from lightglue_ros.vo.transforms import transform_from_quaternion
from lightglue_ros.vo.tum import read_tum
from lightglue_ros.vo.wheel_odometry import simulate_wheel_odometry
from ros_helpers import Peer, camera_info, domain_id, stamp_msg, stamp_seconds, start_node, stop_node

DOMAIN_ID = domain_id(69)
FRAMES = 51
START = 1000.0            # stamp of the first frame, seconds; the frames are 0.1 s apart (KITTI's 10 Hz)
MOUNTING = [1.2, 0.0, 1.5, -0.5, 0.5, -0.5, 0.5]
NAN_AT, BACKWARDS_AT = 20, 30  # frames before which a bad wheel sample is sent


def odometry(stamp: float, T: np.ndarray) -> Odometry:
    msg = Odometry()
    msg.header.stamp, msg.header.frame_id, msg.child_frame_id = stamp_msg(stamp), "wheel_odom", "base_link"
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    p.x, p.y, p.z = (float(v) for v in T[:3, 3])
    q.x, q.y, q.z, q.w = (float(v) for v in Rotation.from_matrix(T[:3, :3]).as_quat())
    return msg


def test_wheel_odometry_makes_the_monocular_odometry_metric(data_dir, tmp_path):
    folder = data_dir / "kitti01_51"
    intrinsics = [float(v) for v in (folder / "camera.txt").read_text().split()]
    truth_stamps, T_world_camera = read_tum(folder / "groundtruth.txt")
    T_base_camera = transform_from_quaternion(MOUNTING[:3], MOUNTING[3:])
    base_truth = np.stack([T_odom_base_of(T, T_base_camera) for T in T_world_camera[:FRAMES]])
    stamps = START + 0.1 * truth_stamps[:FRAMES]
    # The wheels report halfway between the frames (10 Hz), so the node interpolates them at every image stamp.
    wheel_stamps = np.concatenate([[stamps[0] - 0.05], stamps + 0.05])
    wheel = simulate_wheel_odometry(wheel_stamps, interpolate_poses(stamps, base_truth, wheel_stamps), 0.02, 0.01)

    peer = Peer(DOMAIN_ID, record=("odom", "status"))
    wheel_pub = peer.node.create_publisher(Odometry, "wheel_odom",
                                           QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE))
    node = start_node(DOMAIN_ID, tmp_path, defaults=True, base_frame="base_link", base_from_camera=MOUNTING)
    started = time.monotonic()
    try:
        peer.wait_for_node(node)
        deadline = time.monotonic() + 10
        while wheel_pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert wheel_pub.get_subscription_count() == 1, "vo_node does not subscribe to wheel_odom"
        paths = sorted((folder / "image_0").glob("*.png"))[:FRAMES]
        wheel_pub.publish(odometry(wheel_stamps[0], wheel[0]))
        for i, (stamp, path) in enumerate(zip(stamps, paths)):
            if i == NAN_AT:
                bad = wheel[i].copy()
                bad[0, 3] = np.nan
                wheel_pub.publish(odometry(wheel_stamps[i] + 0.02, bad))
            wheel_pub.publish(odometry(wheel_stamps[i + 1], wheel[i + 1]))
            if i == BACKWARDS_AT:
                wheel_pub.publish(odometry(wheel_stamps[i + 1] - 0.05, wheel[i]))
            header_stamp = stamp_msg(stamp)
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            peer.publish(numpy_to_image(image, "mono8", header_stamp, "camera_optical_frame"),
                         camera_info(intrinsics, image.shape[1], image.shape[0], header_stamp,
                                     "camera_optical_frame"))
            peer.wait("odom", i + 1, timeout=120)   # lock step: every frame processed
            assert len(peer.received["odom"]) == i + 1, f"no odometry for frame {i}"
        peer.wait("status", FRAMES, timeout=10)
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    print(f"{FRAMES} frames in {time.monotonic() - started:.1f} s")

    statuses = {round(s["stamp"], 6): s for s in peer.statuses()}
    odom = peer.received["odom"]
    odom_stamps = np.array([stamp_seconds(m.header.stamp) for m in odom])
    status = [statuses[round(t, 6)] for t in odom_stamps]
    assert {m.child_frame_id for m in odom} == {"base_link"}
    assert all(s["scale"] == METRIC_PRIOR and s["mounting_translation_applied"] for s in status[1:]), \
        [s["scale"] for s in status]
    assert sum(s["state"] == "TRACKING" for s in status) >= FRAMES - 2
    wheels = status[-1]["wheel_odom"]
    print("wheel_odom status:", wheels)
    assert wheels["received"] == FRAMES + 3
    assert wheels["refused_reasons"] == {"non-finite": 1, "out of order": 1}
    assert wheels["priors"] >= FRAMES - 3 and wheels["not_trusted"] == 0
    assert "wheel_odom: sample refused (non-finite)" in log and "wheel_odom: sample refused (out of order)" in log
    assert "the mounting's translation (1.921 m) is applied" in log

    poses = []
    for m in odom:
        p, q = m.pose.pose.position, m.pose.pose.orientation
        poses.append(transform_from_quaternion([p.x, p.y, p.z], [q.x, q.y, q.z, q.w]))
    errors = evaluate_trajectory(odom_stamps, np.stack(poses), stamps, base_truth, correct_scale=False)
    print("base_link, wheel odometry 2 % scale error, 1 % noise:", errors.summary())
    assert errors.alignment == "SE3" and errors.matched == FRAMES
    assert errors.ate_rmse <= 0.02 * errors.path_length, errors.summary()
