# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Wheel odometry in: `wheel_odom` (nav_msgs/Odometry, optional) buffered, and the camera's travel per image.

The samples (the base's pose in the wheel odometry's frame) go into a `WheelOdometry` buffer on the executor
thread; for each image the worker asks for the camera's travel since the previous processed image, through the
mounting (`base_from_camera`, metres), and hands it to the tracker as its translation prior: with it a monocular
trajectory is metric. A refused sample (not finite, out of order, a jump) and a prior the images contradict (a
lifted robot's spinning wheels) are logged, throttled per kind, counted in `status`, and not used.
"""
from __future__ import annotations

import threading
import time
from typing import Optional

import numpy as np
from nav_msgs.msg import Odometry

from lightglue_ros.ros.node_log import NodeLog
from lightglue_ros.ros.qos import InputSubscription
from lightglue_ros.ros.sync import stamp_seconds
from lightglue_ros.vo.wheel_odometry import WheelConfig, WheelOdometry

QUEUE_DEPTH = 50        # wheel odometry comes at 20-100 Hz: a second of it while the executor is busy


def _kind(reason: str) -> str:
    """The kind of a reason, for throttling and counting: its words without the numbers."""
    for kind in ("non-finite", "zero quaternion", "out of order", "jump", "restarted", "not a stamp",
                 "after the newest", "before the oldest", "apart", "sample(s)", "not trusted"):
        if kind in reason:
            return kind
    return reason.split(":")[0][:40]


class WheelInput:
    """The `wheel_odom` subscription, its buffer and its accounting."""

    def __init__(self, node, log: NodeLog, config: WheelConfig, qos: str):
        self.node, self.log = node, log
        self.wheels = WheelOdometry(config)
        self.lock = threading.Condition()          # the buffer is filled on the executor, read on the worker
        self.previous_stamp: Optional[float] = None
        self.counts = {"received": 0, "refused": 0, "priors": 0, "not_trusted": 0}
        self.refused: dict = {}                    # kind -> samples refused
        self.missing: dict = {}                    # kind -> images without a prior while wheel odometry comes
        self.subscription = InputSubscription(node, Odometry, "wheel_odom", self.on_odometry, qos, QUEUE_DEPTH)

    @property
    def config(self) -> WheelConfig:
        return self.wheels.config

    def set_config(self, config: WheelConfig) -> None:
        with self.lock:
            self.wheels.config = config

    def on_odometry(self, msg: Odometry) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        stamp = stamp_seconds(msg.header.stamp)
        with self.lock:
            self.counts["received"] += 1
            reason = self.wheels.add(stamp, (p.x, p.y, p.z), (q.x, q.y, q.z, q.w))
            self.lock.notify_all()
        if not reason:
            return
        kind = _kind(reason)
        taken = kind in ("jump", "restarted")     # the buffer starts over from these samples
        if not taken:
            self.counts["refused"] += 1
            self.refused[kind] = self.refused.get(kind, 0) + 1
        self.log.throttled("warning", f"wheel_odom: {'sample starts over' if taken else 'sample refused'} ({kind})"
                           f"\n{self.subscription.topic} at {stamp:.6f}: {reason}", period=5.0)

    def prior(self, stamp: float, T_base_camera: np.ndarray, wait_s: float) -> Optional[float]:
        """The camera's travel (metres) since the previous processed image; None without wheel odometry for it.

        Waits up to `wait_s` for a sample at or after `stamp` (wheel odometry a little behind the camera), not when
        the stream has stopped (its newest sample more than `wheel_max_gap_s` old).
        """
        previous = self.previous_stamp
        if self.counts["received"] == 0 or previous is None or stamp <= previous:
            return None
        deadline = time.monotonic() + wait_s
        with self.lock:
            while len(self.wheels) and stamp - self.config.wheel_max_gap_s <= self.wheels.stamps[-1] < stamp and \
                    time.monotonic() < deadline:
                self.lock.wait(max(deadline - time.monotonic(), 0.0))
            distance, reason = self.wheels.travel(previous, stamp, T_base_camera)
        if distance is None:
            kind = _kind(reason)
            self.missing[kind] = self.missing.get(kind, 0) + 1
            self.log.throttled("warning", f"wheel_odom: no translation prior for an image ({kind})\n{reason}",
                               period=5.0)
        return distance

    def took(self, result, stamp: float) -> None:
        """The tracker took the image at `stamp` (the next prior counts from it); its verdict on the prior."""
        self.previous_stamp = stamp
        self.counts["priors"] += bool(result.prior_used)
        if result.prior_reason:
            self.counts["not_trusted"] += 1
            self.log.throttled("warning", "wheel_odom: translation prior not trusted\n" + result.prior_reason,
                               period=5.0)

    def restart(self) -> None:
        """A new trajectory: the next image has no previous one to count from."""
        self.previous_stamp = None

    def summary(self) -> dict:
        return {**self.counts, "refused_reasons": dict(self.refused), "no_prior_reasons": dict(self.missing),
                "publishers": self.subscription.publisher_count()}
