"""Malformed input never takes vo_node down: each bad message gives a clear log line, is dropped, and the next
good frame is tracked. Real DDS, the node as a separate process."""
import math
import time

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import Image

from lightglue_ros.image_conversion import numpy_to_image
from ros_helpers import TUM_INTRINSICS, Peer, camera_info, stamp_msg, start_node, stop_node

DOMAIN_ID = 62
SIZE = (320, 240)
INTRINSICS = tuple(v / 2 for v in TUM_INTRINSICS)


@pytest.fixture(scope="module")
def good_frames(data_dir):
    paths = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[:6]
    return [cv2.resize(cv2.imread(str(p)), SIZE, interpolation=cv2.INTER_AREA) for p in paths]


def raw_image(width, height, encoding, step, data, stamp):
    msg = Image(width=width, height=height, encoding=encoding, step=step, data=bytes(data))
    msg.header.stamp, msg.header.frame_id = stamp, "camera"
    return msg


def test_bad_input_is_logged_dropped_and_survived(good_frames, tmp_path):
    peer = Peer(DOMAIN_ID)
    node = start_node(DOMAIN_ID, tmp_path, qos="reliable", max_keypoints=256)
    clock = [1000.0]

    def stamp():
        clock[0] += 0.5
        return stamp_msg(clock[0])

    def info(stamp_, values=INTRINSICS):
        return camera_info(values, *SIZE, stamp_)

    good = iter(good_frames * 4)

    def send_good(expect_odometry=True):
        count = len(peer.received["odom"])
        s = stamp()
        peer.publish(numpy_to_image(next(good), "bgr8", s, "camera"), info(s))
        if expect_odometry:
            peer.wait("odom", count + 1, timeout=60)
            assert len(peer.received["odom"]) == count + 1, "the node did not track the good frame"

    def send_bad(msg, with_info=True):
        count = len(peer.received["odom"])
        peer.publish(msg, info(msg.header.stamp) if with_info else None)
        time.sleep(1.5)  # past the node's log throttling, and time to (not) answer
        assert len(peer.received["odom"]) == count, "a bad frame produced odometry"
        send_good()

    try:
        peer.wait_for_node(node)
        # Missing CameraInfo: frames are dropped until it comes.
        s = stamp()
        peer.publish(numpy_to_image(good_frames[0], "bgr8", s, "camera"))
        time.sleep(1.5)
        assert not peer.received["odom"]
        peer.info_pub.publish(info(s))
        time.sleep(0.3)
        send_good()
        send_good()
        w, h = SIZE
        send_bad(raw_image(w, h, "bgr8", w * 3, bytes(w * 3 * h - 100), stamp()))        # data too short
        send_bad(raw_image(w, h, "xyz42", w * 3, bytes(w * 3 * h), stamp()))             # unknown encoding
        send_bad(raw_image(0, 0, "bgr8", 0, b"", stamp()))                              # zero size
        send_bad(raw_image(1, 1, "bgr8", 3, b"\x00\x00\x00", stamp()))                  # 1x1
        send_bad(raw_image(w, h, "bgr8", w * 3 - 1, bytes(w * 3 * h), stamp()))         # step too small
        send_bad(raw_image(7680, 4320, "mono8", 7680, bytes(7680 * 4320), stamp()))     # 8K frame
        # An odd but valid step (rows padded by 1 byte) is decoded, not rejected.
        padded = np.zeros((h, w * 3 + 1), np.uint8)
        padded[:, :w * 3] = next(good).reshape(h, -1)
        count = len(peer.received["odom"])
        peer.publish(raw_image(w, h, "bgr8", w * 3 + 1, padded.tobytes(), stamp()))
        assert len(peer.wait("odom", count + 1)) == count + 1, "a padded-row image was not tracked"
        # CameraInfo with zeros / NaN: ignored, the last good camera stays in use.
        for values in ((0.0, 0.0, 0.0, 0.0), (math.nan, 268.0, 160.0, 120.0)):
            count = len(peer.received["odom"])
            s = stamp()
            peer.publish(numpy_to_image(next(good), "bgr8", s, "camera"), info(s, values))
            assert len(peer.wait("odom", count + 1)) == count + 1
        # Stamps going backwards (a bag loop): reset, then tracking goes on from the new origin.
        clock[0] -= 100.0
        send_good()
        send_good()
    finally:
        log = stop_node(node, tmp_path)
        peer.close()
    for expected in ("image data has", "encoding 'xyz42' is not supported", "is empty", "too small",
                     "step", "but the camera_info is", "no camera_info yet", "camera_info ignored",
                     "went backwards", "tracker reset"):
        assert expected in log, f"no log line with {expected!r}:\n{log[-3000:]}"
