# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node as a managed node, driven over real DDS as a Nav2-style lifecycle manager drives it.

A bad weights file fails `configure` with the reason (the process stays up), then configure / activate / deactivate /
cleanup, live parameter changes (applied, or refused with "needs a restart"), and reset / reset_pose.
"""
import json
import time

import cv2
import numpy as np
import pytest
from geometry_msgs.msg import PoseWithCovarianceStamped
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from std_srvs.srv import Trigger

from lightglue_ros.ros.image_conversion import numpy_to_image
from ros_helpers import (Peer, TUM_INTRINSICS, call, camera_info, domain_id, positions, set_parameter, stamp_msg,
                         start_node, stop_node)

DOMAIN_ID = domain_id(65)
SIZE = (320, 240)
INTRINSICS = tuple(v / 2 for v in TUM_INTRINSICS)


def transition(peer, transition_id) -> bool:
    return call(peer, ChangeState, "/vo_node/change_state",
                ChangeState.Request(transition=Transition(id=transition_id))).success


def state(peer) -> str:
    return call(peer, GetState, "/vo_node/get_state", GetState.Request()).current_state.label


@pytest.fixture(scope="module")
def frames(data_dir):
    paths = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[:6]
    return [cv2.resize(cv2.imread(str(p)), SIZE, interpolation=cv2.INTER_AREA) for p in paths]


def test_lifecycle_over_dds(frames, tmp_path):
    bad_weights = tmp_path / "weights"
    bad_weights.mkdir()
    for name in ("superpoint_v1.pth", "superpoint_lightglue.pth"):
        (bad_weights / name).write_bytes(b"not a checkpoint")
    peer = Peer(DOMAIN_ID)
    node = start_node(DOMAIN_ID, tmp_path, autostart=False, features="superpoint", weights_dir=str(bad_weights))
    clock = [2000.0]

    def send(image):
        clock[0] += 0.5
        stamp = stamp_msg(clock[0])
        count = len(peer.received["odom"])
        peer.publish(numpy_to_image(image, "bgr8", stamp, "camera"), camera_info(INTRINSICS, *SIZE, stamp))
        return peer.wait("odom", count + 1, timeout=60)[count:]

    try:
        assert state(peer) == "unconfigured"
        assert peer.image_pub.get_subscription_count() == 0  # not subscribed before activate
        # A bad weights file: configure fails with the reason, the node stays up and unconfigured.
        assert not transition(peer, Transition.TRANSITION_CONFIGURE)
        assert node.poll() is None and state(peer) == "unconfigured"
        # Unconfigured, every parameter may change (configure reads them).
        assert set_parameter(peer, "features", "aliked").successful
        assert set_parameter(peer, "weights_dir", "").successful
        zero = set_parameter(peer, "base_from_camera", [0.0] * 7)  # no rotation: refused, not failing every frame
        assert not zero.successful and "base_from_camera" in zero.reason and "norm" in zero.reason
        assert transition(peer, Transition.TRANSITION_CONFIGURE) and state(peer) == "inactive"
        time.sleep(1.0)
        assert peer.image_pub.get_subscription_count() == 0  # configured, not yet subscribed
        assert transition(peer, Transition.TRANSITION_ACTIVATE) and state(peer) == "active"
        peer.wait_for_node(node)
        assert len(send(frames[0])) == 1 and len(send(frames[1])) == 1

        # Live parameters: the models' knobs need a restart; the tracking knobs apply from the next frame.
        refused = set_parameter(peer, "max_keypoints", 512)
        assert not refused.successful and "needs a restart" in refused.reason
        # The mounting re-expresses the whole trajectory: a live change is refused, not applied mid-path.
        moved = set_parameter(peer, "base_from_camera", [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
        assert not moved.successful and "base_from_camera: needs a restart" in moved.reason
        assert set_parameter(peer, "keyframe_max_age", 1).successful
        assert set_parameter(peer, "odom_frame", "odom_live").successful
        answer = send(frames[2])
        assert answer and answer[0].header.frame_id == "odom_live"
        send(frames[3])
        statuses = peer.wait("status", len(peer.received["odom"]))
        assert json.loads(statuses[-1].data)["is_keyframe"], "keyframe_max_age=1 did not apply"

        # reset_pose then reset before the next frame: the later request wins, whole (no mixed state).
        pose = PoseWithCovarianceStamped()
        pose.pose.pose.position.x, pose.pose.pose.orientation.w = 5.0, 1.0
        publisher = peer.node.create_publisher(PoseWithCovarianceStamped, "reset_pose", 10)
        time.sleep(0.5)
        publisher.publish(pose)
        time.sleep(0.5)
        assert np.allclose(positions(send(frames[4]))[0], [5.0, 0.0, 0.0], atol=1e-6)
        publisher.publish(pose)
        time.sleep(0.3)
        assert call(peer, Trigger, "/reset", Trigger.Request()).success
        assert np.allclose(positions(send(frames[5]))[0], 0.0, atol=1e-6)

        assert transition(peer, Transition.TRANSITION_DEACTIVATE) and state(peer) == "inactive"
        time.sleep(1.0)
        assert peer.image_pub.get_subscription_count() == 0
        assert transition(peer, Transition.TRANSITION_CLEANUP) and state(peer) == "unconfigured"
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    assert "configure failed" in log and "superpoint" in log, log[-3000:]
    assert "models released" in log
