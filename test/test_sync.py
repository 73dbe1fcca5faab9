# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Pairing by stamp and loss accounting (lightglue_ros.ros.sync), across threads as the node uses them."""

from lightglue_ros.ros.sync import LossCounter, PairingQueue, Partner, StampedBuffer


def test_buffer_pairs_exactly_or_within_a_tolerance():
    buffer = StampedBuffer(size=3)
    for stamp in (10, 20, 30, 40):
        buffer.put(stamp, f"info {stamp}")
    assert buffer.closest(20) == "info 20" and buffer.closest(25) is None
    assert buffer.closest(10) is None, "the oldest left the buffer"
    assert buffer.closest(44, tolerance_ns=5) == "info 40" and buffer.newest() == "info 40"


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


def queue_with(**partners):
    drops = []
    return PairingQueue(partners, capacity=4, on_drop=drops.append), drops


def test_pairing_queue_waits_for_a_late_partner_without_reordering():
    info = Partner()
    queue, drops = queue_with(camera_info=info)
    # Images 1..3 arrive; the CameraInfo of each comes 0.8 s after its image (driver jitter).
    assert queue.arrive(1, "image 1", now=0.0, waits_for={"camera_info": 1.0}) == []
    assert queue.arrive(2, "image 2", now=0.03, waits_for={"camera_info": 1.0}) == []
    assert queue.arrive(3, "image 3", now=0.06, waits_for={"camera_info": 1.0}) == []
    assert queue.due(0.5) == []
    released = queue.partner_arrived("camera_info", 1, "info 1", now=0.8)
    assert [(e.item, e.found["camera_info"]) for e in released] == [("image 1", "info 1")]
    # The CameraInfo of image 2 is lost: the one of image 3 tells none will come, both go, in arrival order.
    released = queue.partner_arrived("camera_info", 3, "info 3", now=0.86)
    assert [(e.item, e.found["camera_info"]) for e in released] == [("image 2", None), ("image 3", "info 3")]
    # An image whose CameraInfo is already there goes at once; an older CameraInfo (stamps went back) tells nothing.
    assert [e.item for e in queue.arrive(3, "again", 1.0, {"camera_info": 1.0})] == ["again"]
    assert queue.arrive(9, "image 9", 1.0, {"camera_info": 1.0}) == []
    assert queue.partner_arrived("camera_info", 5, "info 5", 1.1) == []
    assert [(e.item, e.found["camera_info"]) for e in queue.due(2.0)] == [("image 9", None)]
    assert drops == [] and not queue.waiting


def test_pairing_queue_is_bounded_and_newest_first():
    queue, drops = queue_with(camera_info=Partner())
    for stamp in range(6):
        queue.arrive(stamp, stamp, 0.0, {"camera_info": 1.0})
    # Full at 4: each newer image replaced the newest waiting one, the oldest keep their place for their CameraInfo.
    assert [e.item for e in queue.waiting] == [0, 1, 2, 5] and drops == [1, 1]
    assert [e.item for e in queue.partner_arrived("camera_info", 0, "info 0", 0.1)] == [0]
    assert queue.clear() == 3 and drops == [1, 1, 3]


def test_pairing_queue_learns_that_depth_comes_at_half_the_rate():
    info, depth = Partner(), Partner(tolerance_ns=20, predict=True)
    queue, _ = queue_with(camera_info=info, depth=depth)
    period = 33
    released = []
    for i in range(12):
        stamp = i * period
        queue.partner_arrived("camera_info", stamp, f"info {i}", 0.0)
        released += queue.arrive(stamp, i, 0.0, {"camera_info": 1.0, "depth": 1.0})
        if i % 2 == 0:  # depth for every other image, 10 ns after it
            released += queue.partner_arrived("depth", stamp + 10, f"depth {i}", 0.0)
    # Until the depth's period is known, an image without depth waits for the next depth; then it goes at once.
    assert [e.item for e in released] == list(range(12)) and not queue.waiting
    assert all(e.found["depth"] == f"depth {e.item}" for e in released if e.item % 2 == 0)
    assert all(e.found["depth"] is None for e in released if e.item % 2 == 1)
    queue.partner_arrived("camera_info", 12 * period + period, "info 13", 0.0)
    assert [e.item for e in queue.arrive(13 * period, 13, 0.0, {"camera_info": 1.0, "depth": 1.0})] == [13]
