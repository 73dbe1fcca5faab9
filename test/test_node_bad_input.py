# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Malformed input never takes vo_node down.

Each of 37 kinds of bad message that drivers and bags really send gives a clear log line (checked as it happens), the
frame is rejected (or, for a bad depth image or CameraInfo, tracked without it), and the next good frame is tracked.
Real DDS, the node as a separate process.
"""
import math
import time

import cv2
import numpy as np
import pytest
from geometry_msgs.msg import PoseWithCovarianceStamped
from sensor_msgs.msg import Image, RegionOfInterest

from lightglue_ros.ros.image_conversion import numpy_to_image
from ros_helpers import Peer, TUM_INTRINSICS, camera_info, domain_id, stamp_msg, start_node, stop_node

DOMAIN_ID = domain_id(62)
SIZE = (320, 240)
W, H = SIZE
INTRINSICS = tuple(v / 2 for v in TUM_INTRINSICS)


@pytest.fixture(scope="module")
def good_frames(data_dir):
    paths = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[:6]
    return [cv2.resize(cv2.imread(str(p)), SIZE, interpolation=cv2.INTER_AREA) for p in paths]


def raw_image(width, height, encoding, step, data, stamp, bigendian=0):
    msg = Image(width=width, height=height, encoding=encoding, step=step, data=bytes(data), is_bigendian=bigendian)
    msg.header.stamp, msg.header.frame_id = stamp, "camera"
    return msg


def info_with(stamp, **fields):
    msg = camera_info(INTRINSICS, *SIZE, stamp)
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


# (name, image(stamp) or None for a good image, CameraInfo fields or None for none, expected log text, tracked?)
BAD_IMAGES = [
    ("data too short", lambda s: raw_image(W, H, "bgr8", W * 3, bytes(W * 3 * H - 100), s), {}, "image data has",
     False),
    ("unknown encoding", lambda s: raw_image(W, H, "xyz42", W * 3, bytes(W * 3 * H), s), {},
     "encoding 'xyz42' is not supported", False),
    ("empty encoding", lambda s: raw_image(W, H, "", W * 3, bytes(W * 3 * H), s), {}, "encoding '' is not supported",
     False),
    ("zero size", lambda s: raw_image(0, 0, "bgr8", 0, b"", s), {}, "is empty", False),
    ("zero height", lambda s: raw_image(W, 0, "bgr8", W * 3, b"", s), {}, "is empty", False),
    ("1x1 image", lambda s: raw_image(1, 1, "bgr8", 3, b"\x00\x00\x00", s), {"width": 1, "height": 1},
     "too small", False),
    ("step too small", lambda s: raw_image(W, H, "bgr8", W * 3 - 1, bytes(W * 3 * H), s), {}, "step", False),
    ("rgba8 with an rgb8 step", lambda s: raw_image(W, H, "rgba8", W * 3, bytes(W * 4 * H), s), {}, "step", False),
    ("huge height, little data", lambda s: raw_image(W, 2 ** 31, "mono8", W, bytes(W * H), s), {}, "image data has",
     False),
    ("8K frame, no matching camera_info", lambda s: raw_image(7680, 4320, "mono8", 7680, bytes(7680 * 4320), s), {},
     "but the camera_info is", False),
    ("16UC1 depth on the image topic", lambda s: raw_image(W, H, "16UC1", W * 2, bytes(W * 2 * H), s), {},
     "is not a camera image encoding", False),
    ("32FC1 depth on the image topic", lambda s: raw_image(W, H, "32FC1", W * 4, bytes(W * 4 * H), s), {},
     "is not a camera image encoding", False),
    ("64FC1", lambda s: raw_image(W, H, "64FC1", W * 8, bytes(W * 8 * H), s), {}, "encoding '64FC1' is not supported",
     False),
    ("yuv422 with a short step", lambda s: raw_image(W, H, "yuv422", W, bytes(W * 2 * H), s), {}, "too small for",
     False),
    ("bayer with a short step", lambda s: raw_image(W, H, "bayer_rggb8", W - 1, bytes(W * H), s), {}, "too small for",
     False),
    ("image smaller than its camera_info", None, {"width": 640, "height": 480}, "but the camera_info is", False),
    ("camera_info binned past the image", None, {"binning_x": 4, "binning_y": 4}, "but the camera_info is", False),
    ("camera_info region of interest past the image", None,
     {"roi": RegionOfInterest(x_offset=10, y_offset=10, width=100, height=100)}, "but the camera_info is", False),
    ("camera_info all zero (uncalibrated driver)", None, {"k": [0.0] * 9}, "camera_info ignored", True),
    ("camera_info K with NaN", None, {"k": [math.nan, 0, 160, 0, 268, 120, 0, 0, 1]}, "camera_info ignored", True),
    ("camera_info negative focal length", None, {"k": [-268.0, 0, 160, 0, 268, 120, 0, 0, 1]}, "camera_info ignored",
     True),
    ("camera_info D with NaN", None, {"d": [math.nan, 0.0, 0.0, 0.0, 0.0]}, "camera_info ignored", True),
    ("camera_info D of the wrong length", None, {"d": [0.1, 0.0, 0.0]}, "camera_info ignored", True),
    ("camera_info unknown distortion model", None, {"distortion_model": "fisheye_foo"}, "camera_info ignored", True),
    ("camera_info infinite cx", None, {"k": [268.0, 0, math.inf, 0, 268, 120, 0, 0, 1]}, "camera_info ignored",
     True),
]


def test_bad_input_is_logged_dropped_and_survived(good_frames, tmp_path):
    peer = Peer(DOMAIN_ID)
    node = start_node(DOMAIN_ID, tmp_path, max_keypoints=256)
    log_path = tmp_path / "vo_node.log"
    clock = [1000.0]
    good = iter(good_frames * 20)
    kinds = []

    def stamp():
        clock[0] += 0.5
        return stamp_msg(clock[0])

    def expect_log(text, since):
        deadline = time.monotonic() + 20
        while text not in log_path.read_text()[since:]:
            assert time.monotonic() < deadline, f"no log line with {text!r}:\n{log_path.read_text()[-2000:]}"
            time.sleep(0.05)

    def send(image=None, info=None, depth=None, text=None, tracked=True, name=None):
        """One message set; `text` must appear in the log; then one more good frame must be tracked."""
        count, since = len(peer.received["odom"]), len(log_path.read_text())
        s = image.header.stamp if image is not None else stamp()
        if depth is not None:
            peer.depth_pub.publish(depth(s))
        peer.publish(image if image is not None else numpy_to_image(next(good), "bgr8", s, "camera"),
                     info if info is not None else camera_info(INTRINSICS, *SIZE, s))
        if text is not None:
            expect_log(text, since)
            kinds.append(name)
        if tracked:
            assert len(peer.wait("odom", count + 1, timeout=60)) == count + 1, f"{name}: not tracked"
        else:
            time.sleep(0.3)
            assert len(peer.received["odom"]) == count, f"{name}: a bad frame produced odometry"
            send()  # the node is alive and tracks the next good frame

    try:
        peer.wait_for_node(node)
        # No CameraInfo at all: rejected, until it comes.
        since = len(log_path.read_text())
        s = stamp()
        peer.publish(numpy_to_image(good_frames[0], "bgr8", s, "camera"))
        expect_log("no camera_info yet", since)
        kinds.append("no camera_info yet")
        assert not peer.received["odom"]
        send()
        send()
        for name, image, fields, text, tracked in BAD_IMAGES:
            s = stamp()
            send(image(s) if image else None, info_with(s, **fields) if image is None or fields else None,
                 text=text, tracked=tracked, name=name)
        # An odd but valid step (rows padded by 1 byte) is decoded, not rejected.
        padded = np.zeros((H, W * 3 + 1), np.uint8)
        padded[:, :W * 3] = next(good).reshape(H, -1)
        s = stamp()
        send(raw_image(W, H, "bgr8", W * 3 + 1, padded.tobytes(), s), camera_info(INTRINSICS, *SIZE, s))
        # Bad depth images: ignored with a reason, the frame is tracked without them.
        for name, depth, text in [
            ("depth of another size",
             lambda s: numpy_to_image(np.ones((H // 2, W // 2), np.float32), "32FC1", s, "camera"),
             "depth ignored: it is"),
            ("depth in a colour encoding",
             lambda s: numpy_to_image(np.zeros((H, W, 3), np.uint8), "bgr8", s, "camera"), "depth ignored"),
            ("depth in mono8", lambda s: numpy_to_image(np.zeros((H, W), np.uint8), "mono8", s, "camera"),
             "dtype uint8 is not supported"),
            ("depth too short", lambda s: raw_image(W, H, "16UC1", W * 2, bytes(100), s), "depth ignored: image data"),
        ]:
            send(depth=depth, text=text, name=name)
        # reset_pose that is not a pose: ignored with a reason.
        publisher = peer.node.create_publisher(PoseWithCovarianceStamped, "reset_pose", 10)
        time.sleep(0.5)
        for name, (position, orientation), text in [
            ("reset_pose with a zero quaternion", ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)), "reset_pose ignored"),
            ("reset_pose with NaN", ((math.nan, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0)), "reset_pose ignored: not a finite"),
        ]:
            since = len(log_path.read_text())
            msg = PoseWithCovarianceStamped()
            p, q = msg.pose.pose.position, msg.pose.pose.orientation
            p.x, p.y, p.z = position
            q.x, q.y, q.z, q.w = orientation
            publisher.publish(msg)
            expect_log(text, since)
            kinds.append(name)
            send()
        # Stamps going backwards (a bag loop): reset, then tracking goes on from the new origin.
        clock[0] -= 100.0
        send(text="went backwards", name="stamps going backwards")
        send()
        # A stamp decades away from the node's clock: latency is the processing time, flagged as such.
        s = stamp_msg(2.0e9)
        send(numpy_to_image(next(good), "bgr8", s, "camera"), camera_info(INTRINSICS, *SIZE, s))
        assert peer.statuses()[-1]["latency_from"] == "arrival" and peer.statuses()[-1]["latency_ms"] < 60e3
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    print(f"\n{len(kinds)} kinds of bad input, each logged and survived: {', '.join(kinds)}")
    assert len(kinds) >= 30
    status = peer.statuses()[-1]
    assert status["rejected_reasons"].get("bad image", 0) >= 10, status
    assert "Traceback" not in log
