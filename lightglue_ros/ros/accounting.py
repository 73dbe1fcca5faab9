# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Every image the camera sent, accounted for: processed, dropped, rejected (with a reason) or lost in transport."""
from __future__ import annotations

import time
from collections import Counter, deque
from typing import Optional

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.qos import ReliabilityPolicy

from lightglue_ros.ros.node_log import NodeLog
from lightglue_ros.ros.sync import LossCounter

LOST_WARN_WINDOW_S = 5.0    # /diagnostics is WARN while images were lost this recently
FASTDDS_HINT = ("large images are being lost in transport. With Fast DDS give every process of the graph (the "
                "camera driver too) the profile shipped as config/fastdds_large_images.xml: export "
                "FASTDDS_DEFAULT_PROFILES_FILE=$(ros2 pkg prefix lightglue_ros)/share/lightglue_ros/config/"
                "fastdds_large_images.xml (the package's launch files set it), or publish the images reliably")


class FrameAccounting:
    """The counters behind `status` and `/diagnostics`."""

    def __init__(self, log: NodeLog):
        self.log = log
        self.counts = Counter()               # processed, dropped, received
        self.rejected = Counter()             # reason -> frames
        self.events_lost = 0                  # the middleware's message-lost events on `image`
        self.losses = LossCounter()           # images whose CameraInfo came and they did not
        self.lost_history: deque = deque()    # (monotonic, lost) at each diagnostics tick

    def reject(self, reason: str, message: str, level: str = "warning", throttle: float = 1.0) -> None:
        self.rejected[reason] += 1
        self.log.throttled(level, f"frame rejected ({reason}): {message}", throttle)

    def missing(self, image_input) -> tuple:
        """(dropped, lost): images that never reached the node.

        A reliable subscription loses nothing in transport: what its CameraInfo tells is missing overflowed the
        subscription's history while the node was busy, a drop of stale frames. Otherwise they were lost in transport,
        as are the ones the middleware reports (the two see the same losses, so they are not added).
        """
        profile = image_input.profile if image_input is not None else None
        reliable = profile is not None and profile.reliability == ReliabilityPolicy.RELIABLE
        stale = self.losses.lost if reliable else 0
        lost = max(self.losses.lost - stale, self.events_lost)
        if lost:
            self.log.once("lost", f"{lost} image(s) lost in transport: {FASTDDS_HINT}")
        return self.counts["dropped"] + stale, lost

    def summary(self, image_input, inputs) -> dict:
        dropped, lost = self.missing(image_input)
        return {"received": self.counts["received"], "processed": self.counts["processed"],
                "dropped": dropped, "rejected": sum(self.rejected.values()),
                "rejected_reasons": dict(self.rejected), "lost": lost,
                "qos": {s.topic: s.profile.reliability.name.lower() if s.profile else None for s in inputs}}

    def diagnostics(self, values: dict, result, error: Optional[str], name: str) -> DiagnosticArray:
        """The tracking status: ERROR while frames fail or tracking is lost, WARN while images are being lost."""
        now = time.monotonic()
        self.lost_history.append((now, values["lost"]))
        while self.lost_history[0][0] < now - LOST_WARN_WINDOW_S:
            self.lost_history.popleft()
        status = DiagnosticStatus(name="vo_node: tracking", hardware_id=name)
        if error is not None:
            status.level, status.message = DiagnosticStatus.ERROR, f"frames fail: {error}"
        elif result is None:
            status.level, status.message = DiagnosticStatus.WARN, "no frame processed yet"
        else:
            state = result.state.value
            status.level = {"TRACKING": DiagnosticStatus.OK, "LOST": DiagnosticStatus.ERROR}.get(
                state, DiagnosticStatus.WARN)
            status.message = state
        if values["lost"] > self.lost_history[0][1] and status.level < DiagnosticStatus.WARN:
            status.level, status.message = DiagnosticStatus.WARN, f"{status.message}; images lost in transport"
        if result is not None:
            values.update(keyframe_id=result.keyframe_id, inliers=int(result.inliers.sum()),
                          layers=result.stop_layer, total_ms=round(result.timings.get("total", float("nan")), 1))
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        return DiagnosticArray(status=[status])
