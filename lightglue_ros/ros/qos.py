# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Input QoS: `auto` follows what the publishers offer (as rosbag2 and rviz2 do), or a fixed profile.

A reliable subscription never matches a best-effort publisher, and a best-effort subscription to a reliable
publisher loses large samples that the publisher would have re-sent (measured here with Fast DDS: 4 of 20
640x480 images arrived). So `auto` subscribes reliably when every publisher is reliable and best-effort as soon as
one is not; transient-local durability only when every publisher offers it. The decision is taken when the first
publisher appears and taken again when the publishers change.
"""
from __future__ import annotations

from typing import Callable, Optional

try:
    from rclpy.event_handler import SubscriptionEventCallbacks
except ImportError:  # Humble: Iron renamed rclpy.qos_event to rclpy.event_handler
    from rclpy.qos_event import SubscriptionEventCallbacks
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from lightglue_ros.ros.node_config import QOS_CHOICES


def fixed_profile(choice: str, depth: int) -> QoSProfile:
    if choice == "sensor_data":
        return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=ReliabilityPolicy.BEST_EFFORT,
                          durability=qos_profile_sensor_data.durability)
    if choice == "reliable":
        return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=ReliabilityPolicy.RELIABLE)
    raise ValueError(f"qos={choice!r}: must be one of {', '.join(QOS_CHOICES)}")


def matching_profile(offered: list, depth: int) -> Optional[QoSProfile]:
    """The profile that receives everything these publishers (QoS profiles) send; None without publishers."""
    if not offered:
        return None
    reliable = all(q.reliability == ReliabilityPolicy.RELIABLE for q in offered)
    transient = all(q.durability == DurabilityPolicy.TRANSIENT_LOCAL for q in offered)
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL if transient else DurabilityPolicy.VOLATILE)


def describe(profile: QoSProfile) -> str:
    return f"{profile.reliability.name.lower()}, {profile.durability.name.lower()}, depth {profile.depth}"


class InputSubscription:
    """One input topic whose subscription follows the QoS choice; call `update()` periodically (graph changes).

    `on_lost(n)` receives the middleware's message-lost events (where the RMW reports them).
    """

    def __init__(self, node, msg_type, topic: str, callback: Callable, choice: str, depth: int,
                 on_lost: Optional[Callable[[int], None]] = None):
        self.node, self.msg_type, self.callback, self.choice, self.depth = node, msg_type, callback, choice, depth
        self.topic = node.resolve_topic_name(topic)
        self.on_lost = on_lost
        self.subscription = None
        self.profile: Optional[QoSProfile] = None
        self.update()

    def update(self) -> None:
        if self.choice == "auto":
            offered = [info.qos_profile for info in self.node.get_publishers_info_by_topic(self.topic)]
            profile = matching_profile(offered, self.depth)
        else:
            profile = fixed_profile(self.choice, self.depth)
        if profile is None or (self.profile is not None and (profile.reliability, profile.durability) ==
                               (self.profile.reliability, self.profile.durability)):
            return
        self.destroy()
        events = SubscriptionEventCallbacks(message_lost=self._lost) if self.on_lost else None
        self.subscription = self.node.create_subscription(self.msg_type, self.topic, self.callback, profile,
                                                          event_callbacks=events)
        self.profile = profile
        self.node.get_logger().info(f"{self.topic}: subscribed {describe(profile)} (qos: {self.choice})")

    def publisher_count(self) -> int:
        """The publishers matched to the subscription; on Humble, which lacks that call, the topic's publishers."""
        if self.subscription is None:
            return 0
        if hasattr(self.subscription, "get_publisher_count"):  # Iron and later
            return self.subscription.get_publisher_count()
        return self.node.count_publishers(self.topic)

    def _lost(self, info) -> None:
        self.on_lost(int(info.total_count_change))

    def destroy(self) -> None:
        if self.subscription is not None:
            self.node.destroy_subscription(self.subscription)
        self.subscription, self.profile = None, None
