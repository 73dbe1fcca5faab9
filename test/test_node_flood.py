# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Frames 5x faster than vo_node can process them, for 20 s, from a best-effort camera.

The node, at its default `qos: auto`, keeps only the newest frame, drops the stale ones, keeps latency bounded and
memory flat, and accounts for every frame sent (processed + dropped + rejected + lost). Prints the numbers (p50/p99
latency, drops, losses, RSS growth).
"""
import time

import numpy as np

from lightglue_ros.ros.bench_node import rss_mb
from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.sim import SyntheticSequence
from ros_helpers import Peer, camera_info, domain_id, stamp_msg, stamp_seconds, start_node, stop_node

DOMAIN_ID = domain_id(63)
FLOOD_SECONDS = 20.0


def test_flood(tmp_path):
    sequence = SyntheticSequence("handheld", frames=120, size=(320, 240), seed=5)
    frames = [sequence.frame(i)[1] for i in range(len(sequence.stamps))]
    camera = sequence.camera
    intrinsics = (camera.fx, camera.fy, camera.cx, camera.cy)
    peer = Peer(DOMAIN_ID, reliable=False)
    node = start_node(DOMAIN_ID, tmp_path, max_keypoints=256)
    published = {}

    def publish(i: int) -> None:
        stamp = stamp_msg(10.0 + i / 30.0)
        published[stamp_seconds(stamp)] = time.monotonic()
        peer.publish(numpy_to_image(frames[i % len(frames)], "rgb8", stamp, "camera"),
                     camera_info(intrinsics, 320, 240, stamp))

    try:
        peer.wait_for_node(node)
        for i in range(5):  # in lock-step first: how fast is the node?
            publish(i)
            peer.wait("odom", i + 1, timeout=60)
        assert len(peer.received["odom"]) == 5
        per_frame_s = np.median([s["timings_ms"]["total"] for s in peer.statuses()[1:]]) / 1e3
        rss_before = rss_mb(node.pid)
        period = per_frame_s / 5
        start, i = time.monotonic(), 5
        while time.monotonic() - start < FLOOD_SECONDS:
            publish(i)
            i += 1
            time.sleep(max(0.0, start + (i - 5) * period - time.monotonic()))
        time.sleep(3 * per_frame_s + 1.0)
        rss_after = rss_mb(node.pid)
        counts = peer.diagnostics(after=time.monotonic())
    finally:
        stop_node(node, tmp_path)
        peer.close()
    flood = list(peer.received["odom"][5:])
    status = peer.statuses()[-1]
    accounted = sum(int(counts[k]) for k in ("processed", "dropped", "rejected", "lost")) - 5
    latencies = np.array([peer.arrival[stamp_seconds(m.header.stamp)] - published[stamp_seconds(m.header.stamp)]
                          for m in flood]) * 1e3
    sent = i - 5
    print(f"\nflood: {sent} frames in {FLOOD_SECONDS:.0f} s ({sent / FLOOD_SECONDS:.1f} Hz, node "
          f"{1 / per_frame_s:.1f} Hz alone), {len(flood)} processed, {status['dropped']} dropped; latency p50 "
          f"{np.percentile(latencies, 50):.0f} ms, p99 {np.percentile(latencies, 99):.0f} ms; {counts['lost']} lost, "
          f"{counts['rejected']} rejected; "
          f"RSS {rss_before:.0f} -> {rss_after:.0f} MB")
    # Every frame is accounted for; a loss is known when the next frame arrives, so the last can be missing.
    assert sent - 1 <= accounted <= sent, (sent, counts)
    assert sent >= 4 * FLOOD_SECONDS / per_frame_s  # really about 5x faster than the node
    assert int(counts["dropped"]) + int(counts["lost"]) > sent / 2 and len(flood) < sent / 2
    # Each processed frame waited for at most the one in progress: latency stays within a few frame times.
    assert np.percentile(latencies, 99) < 4 * per_frame_s * 1e3 + 500
    assert rss_after - rss_before < 100
    assert all(np.diff([stamp_seconds(m.header.stamp) for m in flood]) > 0)  # newest first, never out of order
