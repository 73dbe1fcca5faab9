# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node's inputs over real DDS: late CameraInfo, stamps going backwards, depth checks and rate, the worker.

- A CameraInfo 0.3 s and 0.8 s after its image (and at a new image size): tracked, not paired with the newest one of
  the other size; an image whose CameraInfo never comes: tracked with the newest (same size) or rejected (another
  size), counted either way.
- Stamps going backwards: `odom` continues from the current pose; a replay that starts over (sim time, /clock going
  back too) starts at the origin.
- Depth in another frame than the image: not used (logged once with the aligned topic's name); depth at half the
  colour rate: once its rate is known, the frames without depth do not wait for it.
- Deactivate (and cleanup) while a frame is being processed: the frame finishes without an error, one worker, and
  frames are tracked again after activate.
"""
import time

import cv2
import numpy as np
import pytest
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from rclpy.duration import Duration
from rosgraph_msgs.msg import Clock

from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.sim import SyntheticSequence
from ros_helpers import Peer, call, camera_info, domain_id, positions, stamp_msg, start_node, stop_node

DOMAIN_ID = domain_id(83)
SIZE = (320, 240)


@pytest.fixture(scope="module")
def sequence():
    sequence = SyntheticSequence("orbit", frames=40, size=SIZE, seed=3)
    sequence.images = [sequence.frame(i) for i in range(len(sequence.stamps))]  # (stamp, rgb, depth, pose)
    camera = sequence.camera
    sequence.intrinsics = (camera.fx, camera.fy, camera.cx, camera.cy)
    return sequence


class Camera:
    """The test's camera: frame i of the sequence at a chosen stamp, its CameraInfo (when and if), its depth."""

    def __init__(self, peer, sequence, log_path):
        self.peer, self.sequence, self.log_path = peer, sequence, log_path

    def image(self, i, stamp, scale=1.0, frame_id="camera"):
        rgb = self.sequence.images[i % len(self.sequence.images)][1]
        if scale != 1.0:
            rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        return numpy_to_image(rgb, "rgb8", stamp_msg(stamp), frame_id)

    def info(self, stamp, scale=1.0):
        return camera_info([v * scale for v in self.sequence.intrinsics], int(SIZE[0] * scale), int(SIZE[1] * scale),
                           stamp_msg(stamp))

    def depth(self, i, stamp, frame_id="camera"):
        depth = self.sequence.images[i % len(self.sequence.images)][2].astype(np.float32)
        return numpy_to_image(depth, "32FC1", stamp_msg(stamp), frame_id)

    def send(self, i, stamp, info_after=0.0, info=True, scale=1.0, depth=None, tracked=True):
        """Image i, its CameraInfo `info_after` seconds later (or never), and depth first; the new odometry."""
        count = len(self.peer.received["odom"])
        if depth is not None:
            self.peer.depth_pub.publish(depth)
        if info and info_after == 0.0:
            self.peer.info_pub.publish(self.info(stamp, scale))
        self.peer.image_pub.publish(self.image(i, stamp, scale))
        if info and info_after > 0.0:
            time.sleep(info_after)
            self.peer.info_pub.publish(self.info(stamp, scale))
        if not tracked:
            time.sleep(2.0)
            assert len(self.peer.received["odom"]) == count, "a frame that should be rejected was tracked"
            return None
        tracked = len(self.peer.wait("odom", count + 1, timeout=60)) == count + 1
        assert tracked, f"frame at {stamp} not tracked; the node's log ends:\n{self.log()[-3000:]}"
        assert len(self.peer.wait("status", count + 1, timeout=10)) == count + 1
        return self.peer.received["odom"][count]

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_log(self, text: str, count: int = 1, timeout: float = 10.0) -> str:
        """The node's log once `text` is in it `count` times."""
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.log()


def twist_variances(odometry) -> np.ndarray:
    return np.diag(np.reshape(odometry.twist.covariance, (6, 6)))


def test_late_camera_info_time_jumps_and_depth(sequence, tmp_path):
    peer = Peer(DOMAIN_ID)
    node = start_node(DOMAIN_ID, tmp_path)
    camera = Camera(peer, sequence, tmp_path / "vo_node.log")
    try:
        peer.wait_for_node(node)
        # CameraInfo late by 0.3 s, then by 0.8 s at a new size (the newest CameraInfo, of the old size, would not
        # fit): every image waits for its own and is tracked.
        t = 100.0
        for i in range(3):
            camera.send(i, t + i * 0.1, info_after=0.3)
        for i in range(3, 6):
            camera.send(i, t + i * 0.1, info_after=0.8, scale=0.5)
        statuses = peer.statuses()
        print("\npairing_ms with CameraInfo 0.3 s / 0.8 s late:", [round(s["pairing_ms"]) for s in statuses])
        assert statuses[-1]["rejected"] == 0 and statuses[-1]["unpaired"] == 0, statuses[-1]
        assert all(250 < s["pairing_ms"] < 900 for s in statuses[:3]), statuses
        assert all(750 < s["pairing_ms"] < 1400 for s in statuses[3:6]), statuses
        assert "camera changed" in camera.log()
        # A CameraInfo that never comes: after sync_wait_s the newest one (same size) is used, counted as unpaired;
        # at another size the image is rejected with the reason.
        camera.send(6, t + 0.6, info=False, scale=0.5)
        assert peer.statuses()[-1]["unpaired"] == 1 and peer.statuses()[-1]["pairing_ms"] > 900
        # (The first image at a new size waits longer for its own: the newest would not do.)
        camera.send(7, t + 0.7, info=False, tracked=False)
        reason = "but the camera_info is 160x120 (the newest: none came with the image's stamp)"
        assert reason not in camera.log(), "the first image at a new size did not wait for its CameraInfo"
        assert reason in camera.wait_log(reason)
        camera.send(8, t + 0.8, scale=0.5)
        assert peer.statuses()[-1]["rejected_reasons"] == {"camera_info": 1}, peer.statuses()[-1]

        # Stamps going backwards (a driver restart): odom continues from the current pose, the twist is held.
        for i in (12, 15):  # RGB-D, so that the pose moves at once
            before = camera.send(i, t + i * 0.1, depth=camera.depth(i, t + i * 0.1))
        assert np.linalg.norm(positions([before])) > 1e-3
        after = camera.send(16, t - 50.0, depth=camera.depth(16, t - 50.0))
        assert np.allclose(positions([after]), positions([before]), atol=1e-9), (positions([before, after]))
        q0, q1 = before.pose.pose.orientation, after.pose.pose.orientation
        assert abs(abs(q0.x * q1.x + q0.y * q1.y + q0.z * q1.z + q0.w * q1.w) - 1.0) < 1e-9
        assert after.twist.twist.linear.x == 0.0 and np.all(twist_variances(after) >= 1e2)
        assert "tracking restarts at the current pose, odom stays continuous (on_time_jump: auto)" in camera.log()
        following = camera.send(17, t - 49.9, depth=camera.depth(17, t - 49.9))
        assert np.linalg.norm(positions([following]) - positions([after])) < 0.5  # tracking goes on from there

        # Depth in another frame than the image (the unaligned depth topic): not used, one warning with the hint.
        t = 200.0
        for i in range(2):
            camera.send(i, t + i * 0.1, depth=camera.depth(i, t + i * 0.1, frame_id="camera_depth_optical_frame"))
        assert peer.statuses()[-1]["with_depth"] == 4
        assert camera.log().count("is not aligned to them") == 1
        assert "/camera/aligned_depth_to_color/image_raw" in camera.log()

        # Depth at half the colour rate (aligned): every other frame has depth; once its rate is known (4 depth
        # images) the frames without one do not wait for it.
        t, first = 300.0, len(peer.received["status"])
        for i in range(12):
            stamp = t + i / 30.0
            camera.send(i, stamp, depth=camera.depth(i, stamp) if i % 2 == 0 else None)
        statuses = peer.statuses()[first:]
        waits = [round(s["pairing_ms"]) for s in statuses]
        print("pairing_ms with depth at half the rate:", waits)
        assert statuses[-1]["with_depth"] == 4 + 6, statuses[-1]
        assert all(w < 300 for w in waits[0::2]), waits      # with depth: paired at once
        assert all(w < 300 for w in waits[7::2]), waits      # without, once the rate is known
        assert statuses[-1]["rejected"] == 1 and statuses[-1]["dropped"] == 0, statuses[-1]
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    assert "Traceback" not in log


def test_replay_starting_over_resets_under_sim_time(sequence, tmp_path):
    """Under sim time a bag loop moves /clock back with the stamps: a new trajectory at the origin.

    The node starts first, the player later (its image publisher unknown at activation, no /clock yet): the node
    still subscribes. Stamps going back while the clock goes on: odom continues.
    """
    node = start_node(DOMAIN_ID + 1, tmp_path, use_sim_time=True)
    camera = Camera(None, sequence, tmp_path / "vo_node.log")
    if "frame worker started" not in camera.wait_log("frame worker started", timeout=120):
        stop_node(node, tmp_path)
        pytest.fail(f"vo_node did not activate; its log ends:\n{camera.log()[-3000:]}")
    peer = camera.peer = Peer(DOMAIN_ID + 1)
    clock_pub = peer.node.create_publisher(Clock, "/clock", 10)

    def tick(seconds):
        clock_pub.publish(Clock(clock=stamp_msg(seconds)))
        time.sleep(0.1)

    try:
        peer.wait_for_node(node, timeout=30.0)  # the graph is followed on the wall clock
        t = 100.0
        for i in range(4):  # RGB-D: metric from the first frame
            tick(t + i * 0.2)
            odom = camera.send(i, t + i * 0.2, depth=camera.depth(i, t + i * 0.2))
        assert np.linalg.norm(positions([odom])) > 1e-3, [s["state"] for s in peer.statuses()]
        # The replay starts over: clock and stamps back to its beginning. The image may come before the clock.
        count = len(peer.received["odom"])
        peer.depth_pub.publish(camera.depth(0, t))
        peer.info_pub.publish(camera.info(t))
        peer.image_pub.publish(camera.image(0, t))
        time.sleep(0.05)
        tick(t)
        assert len(peer.wait("odom", count + 1, timeout=60)) == count + 1
        assert np.allclose(positions(peer.received["odom"][count:]), 0.0, atol=1e-9)
        tick(t + 0.2)
        odom = camera.send(1, t + 0.2, depth=camera.depth(1, t + 0.2))
        assert 1e-3 < np.linalg.norm(positions([odom])) < 0.5
        # The stamps go back, the clock goes on: continuous.
        tick(t + 1.0)
        after = camera.send(4, t - 10.0, depth=camera.depth(4, t - 10.0))
        assert np.allclose(positions([after]), positions([odom]), atol=1e-9)
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    assert "a driver restart or a clock reset" in log
    assert log.count("a replay started over (a bag loop)") == 1


def transition(peer, transition_id):
    ok = call(peer, ChangeState, "/vo_node/change_state", ChangeState.Request(transition=Transition(id=transition_id)))
    return ok.success, time.monotonic()


def test_deactivate_and_cleanup_mid_frame(sequence, tmp_path):
    """A slow frame (an image 4x the size, extracted at full size on the CPU) in progress while the node deactivates."""
    peer = Peer(DOMAIN_ID + 2)
    node = start_node(DOMAIN_ID + 2, tmp_path, max_keypoints=2048, resize=0)
    camera = Camera(peer, sequence, tmp_path / "vo_node.log")
    try:
        peer.wait_for_node(node)
        t = 100.0
        for i in range(2):
            camera.send(i, t + i * 0.1)
        # How slow is a big frame after a small one here? (The first of a size also sets up the kernels.)
        for i, scale in enumerate((4.0, 1.0, 4.0), start=2):
            camera.send(i, t + 0.1 * i, scale=scale)
        slow = [peer.statuses()[-1]["timings_ms"]["total"]]
        print(f"\na big frame takes {slow[0]:.0f} ms")
        assert slow[0] > 500, slow
        camera.send(5, t + 0.5)  # small again: the worker says when it starts the next big one (camera changed)
        for round_, cleanup in enumerate((False, True)):
            count = len(peer.received["odom"])
            stamp = t + 1.0 + round_
            big_frames = camera.log().count("camera changed to CameraModel(fx=1024")
            peer.info_pub.publish(camera.info(stamp, scale=4.0))
            peer.image_pub.publish(camera.image(4, stamp, scale=4.0))
            # It has arrived (4 MB: acknowledged by the node's reader), been paired, and is being processed.
            assert peer.image_pub.wait_for_all_acked(Duration(seconds=30))
            camera.wait_log("camera changed to CameraModel(fx=1024", big_frames + 1, timeout=30)
            time.sleep(0.2 * slow[0] / 1e3)
            ok, deactivated = transition(peer, Transition.TRANSITION_DEACTIVATE)
            assert ok
            if cleanup:  # waits for the frame: it uses the models and publishers cleanup destroys
                assert transition(peer, Transition.TRANSITION_CLEANUP)[0]
            assert len(peer.wait("odom", count + 1, timeout=120)) == count + 1, "the frame in progress was lost"
            finished = peer.arrival[stamp]
            slow.append(peer.statuses()[-1]["timings_ms"]["total"])
            assert deactivated < finished, "deactivate waited for the frame"  # really mid-frame
            if cleanup:
                assert transition(peer, Transition.TRANSITION_CONFIGURE)[0]
            assert transition(peer, Transition.TRANSITION_ACTIVATE)[0]
            peer.wait_for_node(node)
            # Tracked again, by the one worker; until the new camera_info subscription is matched too (its frames
            # take the newest CameraInfo meanwhile), so that the next big frame does not wait for its own.
            for i in range(5, 15):
                unpaired = peer.statuses()[-1]["unpaired"]
                camera.send(i, stamp + i * 0.01)
                if peer.statuses()[-1]["unpaired"] == unpaired and i >= 6:
                    break
        print(f"\nslow frames: {[round(ms) for ms in slow]} ms")
        assert peer.statuses()[-1]["rejected"] == 0
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    assert log.count("frame worker started") == 1
    assert "cleanup waits for the frame in progress" in log
    assert "frame rejected" not in log and "Traceback" not in log
