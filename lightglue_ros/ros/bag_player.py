# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`bag_player`: replay a bag's topics over ROS 2 with `/clock`, for machines without `ros2 bag`.

Reads rosbag2 (`.db3` / `.mcap`, folder or file) and ROS 1 `.bag` files with `rosbags` and publishes every topic
whose message type is installed (or the `--topics` given) at the recorded rate times `--rate`. Messages go out as
their serialized CDR bytes (`Publisher.publish(bytes)`), so no per-type conversion is needed and any installed type
works; ROS 1 messages are converted to CDR by rosbags first.

With `--clock` the bag's time is published on `/clock`, so nodes run with `use_sim_time:=true` see the recorded
time. With `--ack-topic TOPIC` playback is lock-stepped to a consumer: after each message on the step topic (the
camera image) the player waits until one message arrives on TOPIC (e.g. the VO node's `odom`), so a slow consumer
processes every frame instead of dropping stale ones.

    bag_player BAG [--topics T ...] [--rate R] [--loop] [--clock] [--start-delay S] [--wait-for-subscribers [T ...]]
               [--ack-topic TOPIC [--step-topic TOPIC] [--ack-timeout S]]
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from lightglue_ros.ros.lockstep import AckWaiter, message_class

CLOCK_TOPIC = "/clock"
# Reliable delivery is compatible with both reliable and best-effort (sensor data) subscribers.
QOS_DEPTH = 100


@dataclass
class Track:
    """One bag connection to replay: where it goes and as which installed Python message type."""

    topic: str
    msgtype: str          # "pkg/msg/Name"
    msg_class: type


def playback_offset(t_ns: int, t_first_ns: int, rate: float) -> float:
    """Wall-clock seconds after the start at which a message recorded at `t_ns` is due."""
    return (t_ns - t_first_ns) * 1e-9 / rate


def select_tracks(connections, topics: Optional[Sequence[str]], skip: Iterable[str] = (), log=print) -> List[Track]:
    """Connections to replay: the requested topics (all by default) whose message types are importable."""
    wanted = None if not topics else {t if t.startswith("/") else "/" + t for t in topics}
    tracks, seen = [], set()
    for c in connections:
        if c.topic in seen or c.topic in skip or (wanted is not None and c.topic not in wanted):
            continue
        seen.add(c.topic)
        fmt = getattr(c.ext, "serialization_format", "cdr")
        if fmt != "cdr":
            log(f"skipping {c.topic}: serialization format {fmt!r} is not CDR")
            continue
        try:
            cls = message_class(c.msgtype)
        except (ImportError, AttributeError, ValueError):
            log(f"skipping {c.topic}: message type {c.msgtype} is not installed")
            continue
        tracks.append(Track(c.topic, c.msgtype, cls))
    if wanted is not None:
        missing = sorted(wanted - seen)
        if missing:
            raise ValueError(f"topic(s) not in the bag: {', '.join(missing)}")
    if not tracks:
        raise ValueError("nothing to play: no topic in the bag has an installed message type")
    return tracks


def default_step_topic(tracks: Sequence[Track]) -> str:
    """The camera image topic that paces lock-step playback: the only image topic that is not depth."""
    from lightglue_ros.vo.sources import IMAGE_TYPES  # here: vo.sources costs seconds of SciPy the player rarely needs

    images = [t.topic for t in tracks if t.msgtype in IMAGE_TYPES and "depth" not in t.topic]
    if len(images) != 1:
        raise ValueError(f"--ack-topic needs --step-topic: image topics are {images or 'none'}")
    return images[0]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bag_player", description=__doc__.splitlines()[0])
    p.add_argument("bag", type=Path, help="rosbag2 folder, .db3/.mcap file, or ROS 1 .bag")
    p.add_argument("--topics", nargs="+", default=None, help="topics to play (default: all installed types)")
    p.add_argument("--rate", type=float, default=1.0, help="playback speed factor (default 1)")
    p.add_argument("--loop", action="store_true", help="start over at the end (time jumps back)")
    p.add_argument("--clock", action="store_true", help="publish the bag time on /clock")
    p.add_argument("--clock-hz", type=float, default=50.0, help="/clock rate between messages (default 50)")
    p.add_argument("--start-delay", type=float, default=1.0,
                   help="seconds between creating the publishers and playing, for discovery (default 1)")
    p.add_argument("--wait-for-subscribers", nargs="*", metavar="TOPIC", default=None,
                   help="before playing, wait until these topics (default: any played topic) have a subscriber")
    p.add_argument("--ack-topic", default=None,
                   help="lock-step: after each step-topic message wait for one message on this topic")
    p.add_argument("--step-topic", default=None, help="topic that is acknowledged (default: the camera image)")
    p.add_argument("--ack-timeout", type=float, default=30.0, help="seconds to wait for an ack (default 30)")
    return p


class BagPlayer:
    """Publishes a bag's messages on schedule; the rclpy parts live here, the timing rules above."""

    def __init__(self, node, args, tracks: List[Track]):
        from rclpy.qos import QoSProfile, ReliabilityPolicy

        self.node, self.args, self.log = node, args, node.get_logger()
        qos = QoSProfile(depth=QOS_DEPTH, reliability=ReliabilityPolicy.RELIABLE)
        self.publishers = {t.topic: node.create_publisher(t.msg_class, t.topic, qos) for t in tracks}
        self.clock_pub = None
        if args.clock:
            from rosgraph_msgs.msg import Clock
            # Reliable keep-last drops samples a slow reader has not acknowledged once the history is full: at 50 Hz
            # and --rate 8 a depth of 10 lost the first ticks under load.
            self.clock_pub = node.create_publisher(Clock, CLOCK_TOPIC, QoSProfile(depth=QOS_DEPTH))
        self.acks = None
        self.step_topic = None
        if args.ack_topic:
            self.acks = AckWaiter(node, args.ack_topic, args.ack_timeout)
            self.step_topic = args.step_topic or default_step_topic(tracks)
            if self.step_topic not in self.publishers:
                raise ValueError(f"--step-topic {self.step_topic} is not played")

    def subscribe_acks(self) -> None:
        msgtype = self.acks.subscribe()
        self.log.info(f"lock-step: each {self.step_topic} waits for one {self.acks.topic} ({msgtype})")

    def wait_for_delivery(self, timeout_s: float = 5.0) -> None:
        """Before exiting: reliable messages still in flight die with the process (a fixed pause lost some)."""
        from rclpy.duration import Duration

        publishers = dict(self.publishers, **({CLOCK_TOPIC: self.clock_pub} if self.clock_pub else {}))
        for topic, publisher in publishers.items():
            if not publisher.wait_for_all_acked(Duration(seconds=timeout_s)):
                self.log.warning(f"{topic}: not every message was acknowledged within {timeout_s:.0f} s")

    def wait_for_subscribers(self, topics: Sequence[str]) -> None:
        """Block until each of `topics` has a subscriber, or, without topics, any played topic has one."""
        topics = [t if t.startswith("/") else "/" + t for t in topics]
        publishers = dict(self.publishers)
        if self.clock_pub is not None:  # `--wait-for-subscribers /clock`: a sim-time consumer sees the first tick
            publishers[CLOCK_TOPIC] = self.clock_pub
        unknown = sorted(set(topics) - set(publishers))
        if unknown:
            raise ValueError(f"--wait-for-subscribers: not played: {', '.join(unknown)}")
        last_report = time.monotonic()
        while True:
            counts = {t: p.get_subscription_count() for t, p in publishers.items()}
            missing = [t for t in topics if counts[t] == 0]
            if not missing and (topics or any(counts.values())):
                return
            if time.monotonic() - last_report > 5.0:
                self.log.info(f"waiting for subscribers on {', '.join(missing or self.publishers)}")
                last_report = time.monotonic()
            time.sleep(0.05)

    # -- playback --------------------------------------------------------------------------------------
    def publish_clock(self, t_ns: int) -> None:
        if self.clock_pub is not None:
            from rosgraph_msgs.msg import Clock
            msg = Clock()
            msg.clock.sec, msg.clock.nanosec = divmod(int(t_ns), 1_000_000_000)
            self.clock_pub.publish(msg)

    def sleep_until(self, wall_due: float, t_from_ns: int, t_to_ns: int) -> None:
        """Sleep until `wall_due`, ticking /clock from t_from to t_to in between."""
        period = 1.0 / self.args.clock_hz if self.clock_pub is not None else None
        start = time.monotonic()
        while True:
            now = time.monotonic()
            remaining = wall_due - now
            if remaining <= 0:
                return
            if period is not None and wall_due > start:
                fraction = (now - start) / (wall_due - start)
                self.publish_clock(t_from_ns + int(fraction * (t_to_ns - t_from_ns)))
            time.sleep(remaining if period is None else min(remaining, period))

    def play_once(self, reader, connections, convert) -> int:
        """Publish the bag once on schedule; returns the number of messages published."""
        count, wall_start, t_first, t_prev = 0, None, None, None
        for connection, t_ns, raw in reader.messages(connections=connections):
            if wall_start is None:
                wall_start, t_first, t_prev = time.monotonic(), t_ns, t_ns
            self.sleep_until(wall_start + playback_offset(t_ns, t_first, self.args.rate), t_prev, t_ns)
            self.publish_clock(t_ns)
            t_prev = t_ns
            data = bytes(convert(connection, raw))
            is_step = connection.topic == self.step_topic
            if is_step:
                # Let the earlier messages of this instant (camera_info, depth) land before the image.
                time.sleep(0.02)
            self.publishers[connection.topic].publish(data)
            count += 1
            if is_step:
                waited = time.monotonic()
                self.acks.wait()
                # Lock-step pauses do not count as bag time.
                wall_start += time.monotonic() - waited
        if t_prev is not None:  # once more, for clock subscribers that matched late
            time.sleep(0.1)
            self.publish_clock(t_prev)
        return count


def main(argv=None) -> int:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.utilities import remove_ros_args
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import Stores, get_typestore

    argv = sys.argv if argv is None else ["bag_player", *argv]
    args = build_parser().parse_args(remove_ros_args(argv)[1:])
    if args.rate <= 0:
        raise SystemExit("bag_player: --rate must be positive")
    if not args.bag.exists():
        raise SystemExit(f"bag_player: no such bag: {args.bag}")

    rclpy.init(args=argv)
    node = rclpy.create_node("bag_player")
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    log = node.get_logger()
    try:
        # The ROS 2 definitions: the default for bags without embedded ones, and the target of ROS 1 conversion.
        ros2_types = get_typestore(Stores.LATEST)
        with AnyReader([args.bag], default_typestore=ros2_types) as reader:
            skip = [CLOCK_TOPIC] if args.clock else []
            if not reader.is2:  # ROS 1 payloads become CDR by the ROS 2 definition of the same type
                skip += [c.topic for c in reader.connections if c.msgtype not in ros2_types.types]
            tracks = select_tracks(reader.connections, args.topics, skip=skip, log=log.warning)
            chosen = {t.topic for t in tracks}
            connections = [c for c in reader.connections if c.topic in chosen]

            def convert(connection, raw):
                return raw if reader.is2 else ros2_types.ros1_to_cdr(raw, connection.msgtype)

            player = BagPlayer(node, args, tracks)
            spinner.start()
            for t in tracks:
                log.info(f"{t.topic} [{t.msgtype}]")
            if args.ack_topic:
                player.subscribe_acks()
            if args.wait_for_subscribers is not None:
                player.wait_for_subscribers(args.wait_for_subscribers)
            time.sleep(args.start_delay)
            while True:
                count = player.play_once(reader, connections, convert)
                log.info(f"played {count} messages")
                if not args.loop or count == 0:
                    break
            player.wait_for_delivery()
    except KeyboardInterrupt:
        pass
    except (ValueError, TimeoutError) as exc:
        log.error(str(exc))
        return 1
    finally:
        executor.shutdown()
        if spinner.is_alive():
            spinner.join()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
