# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Pairing by stamp and loss accounting (lightglue_ros.ros.sync), across threads as the node uses them."""
import threading
import time

from lightglue_ros.ros.sync import LossCounter, StampedBuffer


def test_buffer_pairs_exactly_and_waits_a_bounded_time():
    buffer = StampedBuffer(size=3)
    for stamp in (10, 20, 30, 40):
        buffer.put(stamp, f"info {stamp}")
    assert buffer.wait_for(20) == "info 20" and buffer.wait_for(25) is None
    assert buffer.wait_for(10) is None, "the oldest left the buffer"
    assert buffer.wait_for(44, tolerance_ns=5) == "info 40" and buffer.newest() == "info 40"
    start = time.monotonic()
    assert buffer.wait_for(50, timeout=0.2) is None
    assert 0.15 < time.monotonic() - start < 1.0
    # A message arriving on another thread while a reader waits for it.
    threading.Timer(0.1, buffer.put, (50, "info 50")).start()
    assert buffer.wait_for(50, timeout=5.0) == "info 50"


def test_loss_counter_counts_only_what_never_arrives():
    losses = LossCounter()
    losses.expect(1)
    losses.arrived(1)
    losses.arrived(2)            # the image before its CameraInfo (separate subscriptions)
    losses.expect(2)
    losses.expect(3)             # image 3 never comes ...
    losses.expect(4)
    assert losses.lost == 0      # ... which is known only once a newer one arrives
    losses.arrived(4)
    assert losses.lost == 1
    losses.expect(5)
    losses.expect(6)
    losses.arrived(6)
    losses.arrived(5)            # late after all: not lost
    assert losses.lost == 1


def test_loss_counter_needs_a_camera_that_stamps_alike():
    losses = LossCounter()
    for stamp in range(10):
        losses.expect(stamp * 2)       # CameraInfo stamps never equal the image stamps
        losses.arrived(stamp * 2 + 1)
    assert not losses.paired and losses.lost == 0
