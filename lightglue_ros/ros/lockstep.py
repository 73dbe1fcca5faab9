# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Lock-step publishing: after each frame, wait until the consumer answers on a topic (e.g. the VO node's `odom`).

Used by the bag player and the synthetic camera so that a consumer slower than real time processes every frame
(reproducible runs, scoring against ground truth) instead of dropping the stale ones as it does live.
"""
from __future__ import annotations

import importlib
import threading
import time


def message_class(msgtype: str) -> type:
    """The rclpy message class for 'pkg/msg/Name' (ImportError/AttributeError if not installed)."""
    package, kind, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{package}.{kind}"), name)


class AckWaiter:
    """Counts messages arriving on `topic`; `wait()` takes one, or gives up after `timeout` seconds.

    The subscription is created once the topic's type is known from the graph, so any message type works
    (and is not even deserialised).
    """

    def __init__(self, node, topic: str, timeout: float):
        self.node, self.timeout = node, timeout
        self.topic = node.resolve_topic_name(topic)
        self._acks = threading.Semaphore(0)

    def subscribe(self) -> str:
        """Wait for a publisher of the topic and subscribe; returns its message type. The node must be spinning."""
        from rclpy.qos import QoSProfile

        deadline = time.monotonic() + self.timeout
        while not (types := dict(self.node.get_topic_names_and_types()).get(self.topic)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no publisher of the ack topic {self.topic} after {self.timeout} s")
            time.sleep(0.05)
        self.node.create_subscription(message_class(types[0]), self.topic, lambda _: self._acks.release(),
                                      QoSProfile(depth=100), raw=True)
        return types[0]

    def wait(self) -> bool:
        """Block until one ack arrives; False (with a warning) after the timeout."""
        if self._acks.acquire(timeout=self.timeout):
            return True
        self.node.get_logger().warning(f"no message on {self.topic} within {self.timeout} s; going on")
        return False
