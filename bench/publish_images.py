# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""An independent camera client: publishes a folder of images to a running vo_node, reports what came back.

Each image goes with its CameraInfo, as a camera driver sends them; plain rclpy and OpenCV, nothing of lightglue_ros.

    python bench/publish_images.py ../shared/data/tum_fr3_office_17 --camera 535.4 539.2 320.1 247.6 \
        --rate 0.5 --qos reliable

Each image (bgr8) and its CameraInfo share one stamp (the file name when it is a number, else the clock). After the
last frame it waits for the node to finish, then prints one JSON line: frames sent, odometry answers, and the
node's own accounting from its newest `/diagnostics` (processed, dropped, rejected, lost).
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import cv2
import rclpy
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of images (png/jpg), sent in name order")
    parser.add_argument("--camera", type=float, nargs=4, required=True, metavar=("FX", "FY", "CX", "CY"))
    parser.add_argument("--rate", type=float, default=0.5, help="frames per second (default 0.5)")
    parser.add_argument("--qos", choices=("reliable", "best_effort"), default="reliable",
                        help="reliability of the publishers (default reliable, the ROS default)")
    parser.add_argument("--frames", type=int, default=0, help="send only the first N images (0: all)")
    parser.add_argument("--repeat", type=int, default=1, help="send the folder this many times (new stamps)")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds to wait for answers at the end")
    parser.add_argument("--namespace", default="", help="namespace of the node's topics")
    return parser.parse_args(argv)


def stamp_of(seconds: float) -> Time:
    sec = int(seconds)
    return Time(sec=sec, nanosec=int(round((seconds - sec) * 1e9)) % 1_000_000_000)


def main(argv=None) -> int:
    args = parse_args(argv)
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    paths = paths[:args.frames] if args.frames else paths
    images = [cv2.imread(str(p)) for p in paths]
    rclpy.init()
    node = rclpy.create_node("camera_client", namespace=args.namespace or None)
    reliability = ReliabilityPolicy.RELIABLE if args.qos == "reliable" else ReliabilityPolicy.BEST_EFFORT
    qos = QoSProfile(depth=10, reliability=reliability)
    image_pub = node.create_publisher(Image, "image", qos)
    info_pub = node.create_publisher(CameraInfo, "camera_info", qos)
    answers, accounting = set(), {}
    node.create_subscription(Odometry, "odom", lambda m: answers.add((m.header.stamp.sec, m.header.stamp.nanosec)),
                             QoSProfile(depth=100))

    def on_diagnostics(msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name.startswith("vo_node"):
                accounting.update({kv.key: kv.value for kv in status.values}, level=int.from_bytes(status.level))

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, QoSProfile(depth=10))
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()

    deadline = time.monotonic() + 300
    while image_pub.get_subscription_count() == 0 or info_pub.get_subscription_count() == 0:
        if time.monotonic() > deadline:
            raise SystemExit("no subscriber to image and camera_info")
        time.sleep(0.1)
    time.sleep(1.0)  # discovery of the node's publishers
    fx, fy, cx, cy = args.camera
    sent = []
    start = time.monotonic()
    for repeat in range(args.repeat):
        for path, image in zip(paths, images):
            try:
                seconds = float(path.stem) + 10000.0 * repeat
            except ValueError:
                seconds = time.time()
            stamp = stamp_of(seconds)
            height, width = image.shape[:2]
            info = CameraInfo(width=width, height=height, distortion_model="plumb_bob", d=[0.0] * 5,
                              k=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0], r=[1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0],
                              p=[fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0])
            msg = Image(width=width, height=height, encoding="bgr8", step=width * 3, data=image.tobytes())
            info.header.stamp = msg.header.stamp = stamp
            info.header.frame_id = msg.header.frame_id = "camera"
            due = start + len(sent) / args.rate
            time.sleep(max(0.0, due - time.monotonic()))
            info_pub.publish(info)
            image_pub.publish(msg)
            sent.append((stamp.sec, stamp.nanosec))

    counts = ("processed", "dropped", "rejected", "lost")

    def accounted() -> int:
        return sum(int(accounting.get(k, 0)) for k in counts)

    deadline = time.monotonic() + args.settle
    while len(answers) < len(sent) and accounted() < len(sent) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # a fresh /diagnostics (1 Hz) after the last answer
    report = {"sent": len(sent), "answered": len(answers & set(sent)), "qos": args.qos,
              **{k: int(accounting[k]) if k in accounting else None for k in counts},
              "rejected_reasons": accounting.get("rejected_reasons"), "diagnostics_level": accounting.get("level")}
    print(json.dumps(report), flush=True)
    executor.shutdown()
    spinner.join()
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
