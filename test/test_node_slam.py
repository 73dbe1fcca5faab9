# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node with `slam` on, over real DDS: map -> odom on /tf, map_pose, save_map, load_map and relocalisation.

Real TUM fr1/rpy frames with their depth (metric keyframes reach the backend at once). While mapping, map -> odom
is published with every odometry (the identity: no loop in a few frames) and map_pose is the base in the map
frame; save_map writes a map file the SLAM layer reads back; load_map refuses a truncated file and a foreign one with
the reason, and the node keeps tracking; load_map of the saved map switches to localisation in it, and the frames
the map was made of, sent again, relocalise the camera in it (map -> odom published again, the pose where the first
session had it). A loss within a run (black frames while the camera turns on): map -> odom carries on through it and
takes the relocalisation of the keyframes after the re-initialisation.
"""
import time

import numpy as np
import pytest
from geometry_msgs.msg import PoseStamped
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from nav_msgs.msg import Path as PathMsg
from rclpy.qos import QoSProfile, ReliabilityPolicy
from scipy.spatial.transform import Rotation
from std_srvs.srv import Trigger

from conftest import tum_rpy_frames
from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.slam.map_file import read
from lightglue_ros.slam.sim3 import rotation_deg
from lightglue_ros.vo.evaluation import interpolate_poses, load_groundtruth
from ros_helpers import Peer, call, camera_info, domain_id, set_parameter, stamp_msg, start_node, stop_node

DOMAIN_ID = domain_id(90)
FRAMES = 8
SIZE = (320, 240)


def transition(peer, transition_id) -> bool:
    return call(peer, ChangeState, "/vo_node/change_state",
                ChangeState.Request(transition=Transition(id=transition_id))).success


def wait_until_ready(peer, node, intrinsics, first_stamp):
    """The node up and subscribed to depth (the first frame has its depth), its CameraInfo sent."""
    peer.wait_for_node(node)
    while peer.depth_pub.get_subscription_count() == 0:
        time.sleep(0.1)
    peer.info_pub.publish(camera_info(intrinsics, *SIZE, stamp_msg(first_stamp)))
    time.sleep(0.3)


def send(peer, frame, intrinsics, stamp, image=None):
    """Publish a frame (its image, or `image` instead) with its depth and camera_info; wait for its odometry."""
    header_stamp = stamp_msg(stamp)
    _, bgr, depth = frame
    peer.depth_pub.publish(numpy_to_image(depth, "32FC1", header_stamp, "camera"))
    peer.publish(numpy_to_image(bgr if image is None else image, "bgr8", header_stamp, "camera"),
                 camera_info(intrinsics, *SIZE, header_stamp))
    count = len(peer.received["odom"]) + 1
    assert len(peer.wait("odom", count, timeout=120)) == count, f"no odometry for the frame at {stamp}"


def test_slam_node_map_odom_save_load(data_dir, tmp_path):
    from tf2_msgs.msg import TFMessage  # a ROS install's, else the one conftest.py builds

    frames, values = tum_rpy_frames(data_dir, FRAMES + 4)
    intrinsics = tuple(values[:4])
    peer = Peer(DOMAIN_ID, record=("odom", "status", "/diagnostics"))
    transforms, poses = [], []
    peer.node.create_subscription(TFMessage, "/tf", transforms.append,
                                  QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE))
    peer.node.create_subscription(PoseStamped, "map_pose", poses.append, QoSProfile(depth=100))
    paths = []
    peer.node.create_subscription(PathMsg, "map_path", paths.append, QoSProfile(depth=100))
    map_path = tmp_path / "office.lgrmap"
    node = start_node(DOMAIN_ID, tmp_path, slam=True, map_file=str(map_path))

    def send_frame(i, stamp):
        send(peer, frames[i], intrinsics, stamp)

    try:
        wait_until_ready(peer, node, intrinsics, frames[0][0])
        for i in range(FRAMES):
            send_frame(i, frames[i][0])
        peer.wait("status", FRAMES, timeout=10)
        deadline = time.monotonic() + 30   # the backend's thread takes the keyframes in its own time
        while time.monotonic() < deadline and peer.statuses()[-1]["slam"]["keyframes"] < 1:
            time.sleep(0.5)
            send_frame(FRAMES - 1, frames[FRAMES - 1][0] + 0.01 * len(peer.received["odom"]))  # a status with it
        time.sleep(0.5)   # the last map_pose and /tf
        status = peer.statuses()[-1]
        states = [s["state"] for s in peer.statuses()]   # fr1/rpy turns fast: a re-initialisation may come
        assert states.count("TRACKING") >= FRAMES // 2 and status["with_depth"] >= FRAMES // 2, (states, status)
        slam = status["slam"]
        assert slam["mode"] == "mapping" and slam["localised"] and slam["keyframes"] >= 1, slam
        assert slam["accepted"] == 0 and slam["error"] is None, slam   # a few frames: no loop to close

        # map -> odom with each odometry (the identity before any loop); map_pose = the odometry's pose.
        map_odom = [t for m in transforms for t in m.transforms if t.header.frame_id == "map"]
        assert map_odom and all(t.child_frame_id == "odom" for t in map_odom)
        t = map_odom[-1].transform
        assert [t.translation.x, t.translation.y, t.translation.z, t.rotation.w] == \
            pytest.approx([0, 0, 0, 1], abs=1e-6)
        assert all(p.header.frame_id == "map" for p in poses)
        by_stamp = {(m.header.stamp.sec, m.header.stamp.nanosec): m.pose.pose.position for m in peer.received["odom"]}
        last = poses[-1]
        odom = by_stamp[(last.header.stamp.sec, last.header.stamp.nanosec)]
        assert [last.pose.position.x, last.pose.position.y, last.pose.position.z] == \
            pytest.approx([odom.x, odom.y, odom.z], abs=1e-6)
        assert paths and paths[-1].header.frame_id == "map" and len(paths[-1].poses) >= FRAMES
        assert paths[-1].poses[-1].pose.position == last.pose.position
        diagnostics = [m for m in peer.received["/diagnostics"] if len(m.status) == 2]
        assert diagnostics and diagnostics[-1].status[1].name == "vo_node: slam"
        values = {kv.key: kv.value for kv in diagnostics[-1].status[1].values}
        assert values["accepted"] == "0" and values["rejected"] == "0", values

        # save_map: a map file the SLAM layer reads back.
        response = call(peer, Trigger, "/save_map", Trigger.Request())
        assert response.success, response.message
        meta, arrays = read(map_path)
        assert meta["features"] == "aliked" and meta["metric"] and len(arrays["ids"]) >= 1
        assert "saved" in response.message and str(map_path) in response.message

        # load_map of a truncated file and of a foreign one: refused with the reason, the node keeps tracking.
        truncated, foreign = tmp_path / "truncated.lgrmap", tmp_path / "foreign.lgrmap"
        truncated.write_bytes(map_path.read_bytes()[:-100])
        foreign.write_bytes(b"PK\x03\x04 not a map at all" * 10)
        for path, reason in ((truncated, "is truncated"), (foreign, "is not a lightglue_ros map file")):
            assert set_parameter(peer, "map_file", str(path)).successful
            response = call(peer, Trigger, "/load_map", Trigger.Request())
            assert not response.success and reason in response.message and str(path) in response.message, \
                response.message
        before = len(peer.received["odom"])
        for i in range(FRAMES, FRAMES + 2):
            send_frame(i, frames[i][0] + 1.0)
        assert len(peer.received["odom"]) == before + 2
        slam = peer.statuses()[-1]["slam"]
        assert slam["mode"] == "mapping" and slam["localised"], slam   # still in the map it had

        # load_map of the saved map: localisation in it (not localised yet: no revisit in two frames).
        assert set_parameter(peer, "map_file", str(map_path)).successful
        response = call(peer, Trigger, "/load_map", Trigger.Request())
        assert response.success and "localising" in response.message, response.message
        loaded = len(peer.received["odom"])
        for i in range(FRAMES + 2, FRAMES + 4):
            send_frame(i, frames[i][0] + 1.0)
        time.sleep(0.5)
        slam = peer.statuses()[-1]["slam"]
        assert slam["mode"] == "localisation" and slam["map_file"] == str(map_path), slam
        if not slam["localised"]:   # no map -> odom to give until relocalised in the map (REP-105)
            after = {(m.header.stamp.sec, m.header.stamp.nanosec) for m in peer.received["odom"][loaded:]}
            assert not [t for m in transforms for t in m.transforms if t.header.frame_id == "map" and
                        (t.header.stamp.sec, t.header.stamp.nanosec) in after]
        assert peer.statuses()[-1]["state"] in ("TRACKING", "INITIALIZING"), peer.statuses()[-1]

        # Back where the map was made: relocalised in it (the map's keyframes verified), map -> odom published.
        revisit = len(peer.received["odom"])
        deadline = time.monotonic() + 60
        for i in range(FRAMES):
            send_frame(i, frames[i][0] + 2.0)
        while not peer.statuses()[-1]["slam"]["localised"] and time.monotonic() < deadline:
            time.sleep(0.5)
            send_frame(FRAMES - 1, frames[FRAMES - 1][0] + 2.0 + 0.01 * len(peer.received["odom"]))
        time.sleep(0.5)
        slam = peer.statuses()[-1]["slam"]
        print("relocalisation:", slam, "observe_ms:", [s["slam"]["observe_ms"] for s in peer.statuses()])
        assert slam["localised"] and slam["accepted"] >= 1, slam
        after = {(m.header.stamp.sec, m.header.stamp.nanosec) for m in peer.received["odom"][revisit:]}
        assert [t for m in transforms for t in m.transforms if t.header.frame_id == "map" and
                (t.header.stamp.sec, t.header.stamp.nanosec) in after]
        # The last frame sent (frame FRAMES - 1 again) is in the map where the first session saw it.
        first = by_stamp[(stamp_msg(frames[FRAMES - 1][0]).sec, stamp_msg(frames[FRAMES - 1][0]).nanosec)]
        relocalised = poses[-1].pose.position
        error = np.linalg.norm([relocalised.x - first.x, relocalised.y - first.y, relocalised.z - first.z])
        print(f"relocalised position error {error:.3f} m")
        assert error < 0.1
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    assert "SLAM backend started (metric, SE(3)): mapping" in log, log[-3000:]
    assert "Traceback" not in log, log[-4000:]

    # A restart with map_file set to the saved map: localisation mode from the first frame.
    peer = Peer(DOMAIN_ID, record=("odom", "status"))
    node = start_node(DOMAIN_ID, tmp_path, slam=True, map_file=str(map_path))
    try:
        peer.wait_for_node(node)
        while peer.depth_pub.get_subscription_count() == 0:
            time.sleep(0.1)
        send_frame(0, frames[0][0])
        peer.wait("status", 1, timeout=10)
        slam = peer.statuses()[-1]["slam"]
        assert slam["mode"] == "localisation" and slam["map_file"] == str(map_path), slam
        # deactivate stops the backend's thread, activate starts it again: keyframes still reach the map
        assert transition(peer, Transition.TRANSITION_DEACTIVATE) and transition(peer, Transition.TRANSITION_ACTIVATE)
        peer.wait_for_node(node)
        before = peer.statuses()[-1]["slam"]["keyframes"]
        deadline = time.monotonic() + 30
        i = 1
        while peer.statuses()[-1]["slam"]["keyframes"] <= before and time.monotonic() < deadline:
            send_frame(i % FRAMES, frames[0][0] + 0.1 * i)
            i += 1
            time.sleep(0.3)
        assert peer.statuses()[-1]["slam"]["keyframes"] > before, peer.statuses()[-1]["slam"]
        assert transition(peer, Transition.TRANSITION_DEACTIVATE) and transition(peer, Transition.TRANSITION_CLEANUP)
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    assert f"SLAM backend started (metric, SE(3)): localising in {map_path}" in log, log[-3000:]
    assert "models released" in log and "Traceback" not in log, log[-3000:]


def test_slam_node_relocalises_after_a_loss(data_dir, tmp_path):
    """As test_slam_loss.py (the same frames): 52-61 black while the camera turns on (60 degrees); LOST, then on again.

    The keyframes after the re-initialisation are a new session: map -> odom goes on with the correction it had (status
    says not localised), then takes the relocalisation: the map pose turned across the loss as the camera did, the
    odometry did not.
    """
    count, blank = 72, range(52, 62)
    frames, values = tum_rpy_frames(data_dir, count)
    intrinsics = tuple(values[:4])
    stamps, poses = load_groundtruth(data_dir / "tum_fr1_rpy" / "groundtruth.txt")
    truth = interpolate_poses(stamps, poses, np.array([f[0] for f in frames]))
    peer = Peer(DOMAIN_ID, record=("odom", "status"))
    map_poses = []
    peer.node.create_subscription(PoseStamped, "map_pose", map_poses.append, QoSProfile(depth=200))
    node = start_node(DOMAIN_ID, tmp_path, slam=True)
    try:
        wait_until_ready(peer, node, intrinsics, frames[0][0])
        for i, frame in enumerate(frames):
            send(peer, frame, intrinsics, frame[0], np.zeros_like(frame[1]) if i in blank else None)
        deadline = time.monotonic() + 60   # the backend's thread takes the keyframes in its own time
        k = 0
        while not peer.statuses()[-1]["slam"]["localised"] and time.monotonic() < deadline:
            time.sleep(0.5)
            k += 1
            send(peer, frames[-1], intrinsics, frames[-1][0] + 0.01 * k)
        time.sleep(0.5)   # the last map_pose
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    assert "Traceback" not in log, log[-4000:]
    statuses = peer.statuses()
    assert "LOST" in [s["state"] for s in statuses[:count]]
    lost = next(s for s in statuses if s["slam"]["session"] == 1)   # the re-initialisation's frame
    assert not lost["slam"]["localised"], lost["slam"]
    slam = statuses[-1]["slam"]
    print("after the loss:", slam)
    assert slam["localised"] and slam["session"] == 1 and slam["relocalisations"] == 1, slam
    # map_pose with every odometry from the first keyframe on, through the loss.
    by_stamp = {(p.header.stamp.sec, p.header.stamp.nanosec): p.pose.orientation for p in map_poses}
    odom = {(m.header.stamp.sec, m.header.stamp.nanosec): m.pose.pose.orientation for m in peer.received["odom"]}
    keys = [(stamp_msg(f[0]).sec, stamp_msg(f[0]).nanosec) for f in frames]
    assert all(key in by_stamp for key in keys[blank[0] - 1:]), "map_pose missing during the loss"

    def turn(orientations, a, b) -> float:   # degrees between two orientations (axes conventions cancel)
        R = [Rotation.from_quat([o.x, o.y, o.z, o.w]).as_matrix() for o in (orientations[a], orientations[b])]
        return rotation_deg(R[0].T @ R[1])
    final = max(by_stamp)   # the newest map_pose (of the last frame, sent again): after the relocalisation
    true_turn = rotation_deg(truth[blank[0] - 1, :3, :3].T @ truth[-1, :3, :3])
    print(f"turn from frame {blank[0] - 1} to the end: true {true_turn:.1f}, map_pose "
          f"{turn(by_stamp, keys[blank[0] - 1], final):.1f}, odom {turn(odom, keys[blank[0] - 1], final):.1f} deg")
    assert abs(turn(by_stamp, keys[blank[0] - 1], final) - true_turn) < 5
    assert abs(turn(odom, keys[blank[0] - 1], final) - true_turn) > 20


def test_slam_node_refuses_a_foreign_map_at_configure(tmp_path):
    """`map_file` naming a file that is no map: configure fails with the reason, the process stays up."""
    foreign = tmp_path / "foreign.lgrmap"
    foreign.write_bytes(b"\x89PNG\r\n\x1a\n not a map" * 10)
    node = start_node(DOMAIN_ID, tmp_path, slam=True, map_file=str(foreign))
    try:
        deadline = time.monotonic() + 120
        while "configure failed" not in (tmp_path / "vo_node.log").read_text() and time.monotonic() < deadline:
            assert node.poll() is None, (tmp_path / "vo_node.log").read_text()[-3000:]
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        log = stop_node(node, tmp_path)   # fails the test if the node died
    assert f"configure failed: MapFileError: {foreign} is not a lightglue_ros map file" in log, log[-3000:]
    assert "frame worker started" not in log
