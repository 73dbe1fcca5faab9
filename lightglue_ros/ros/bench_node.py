# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo bench vo --node`: the same frames through `vo_node` over DDS at a given input rate.

The frames go as a camera would send them (reliable, each image with its CameraInfo). Prints processed / dropped /
lost, latency p50 / p99 (publish to odometry) and the node's memory over time: its RSS (from /proc) after warm-up,
sampled every second while frames run (printed at each tenth of the run), and the growth from the median of the
first quarter to that of the last.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

NODE_MODULE = "lightglue_ros.ros.vo_node"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) / 1024


def run_node(args, images, camera) -> int:
    import rclpy
    import yaml
    from diagnostic_msgs.msg import DiagnosticArray
    from nav_msgs.msg import Odometry
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSProfile
    from sensor_msgs.msg import CameraInfo, Image

    from lightglue_ros.ros.image_conversion import numpy_to_image
    from lightglue_ros.ros.params_yaml import NODE_KEY
    from lightglue_ros.ros.synthetic_camera_node import camera_info_msg

    overrides = {key: value for key, value in (("device", args.device), ("backend", args.backend)) if value}
    overrides["warmup_size"] = [images[0].shape[1], images[0].shape[0]]  # the camera's: nothing built on a frame
    domain = 100 + os.getpid() % 100
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        params = Path(tmp) / "overrides.yaml"
        params.write_text(yaml.safe_dump({NODE_KEY: {"ros__parameters": overrides}}))
        node = subprocess.Popen([sys.executable, "-m", NODE_MODULE, "--ros-args", "--params-file",
                                 str(root / "config" / "vo.yaml"), "--params-file", str(params)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        context = rclpy.Context()
        rclpy.init(context=context, domain_id=domain)
        peer = rclpy.create_node("bench_camera", context=context)
        image_pub = peer.create_publisher(Image, "image", 10)
        info_pub = peer.create_publisher(CameraInfo, "camera_info", 10)
        published, answered, counts = {}, {}, {}
        peer.create_subscription(Odometry, "odom",
                                 lambda m: answered.setdefault(_ns(m.header.stamp), time.monotonic()),
                                 QoSProfile(depth=100))

        def on_diagnostics(msg):
            counts.update({kv.key: kv.value for kv in msg.status[0].values})

        peer.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(peer)
        spinner = threading.Thread(target=executor.spin, daemon=True)
        spinner.start()
        try:
            deadline = time.monotonic() + 300
            while image_pub.get_subscription_count() == 0:
                if node.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("vo_node did not start")
                time.sleep(0.1)
            time.sleep(1.0)
            rss_before = rss_mb(node.pid)
            rss = []  # (seconds since the first frame, MB), one a second
            info = camera_info_msg(camera)
            info.header.frame_id = "camera"
            start, i = time.monotonic(), 0
            while time.monotonic() - start < args.seconds:
                stamp = peer.get_clock().now().to_msg()
                info.header.stamp = stamp
                image = images[i % len(images)]
                msg = numpy_to_image(image, "rgb8" if image.ndim == 3 else "mono8", stamp, "camera")
                published[_ns(stamp)] = time.monotonic()
                info_pub.publish(info)
                image_pub.publish(msg)
                i += 1
                if time.monotonic() - start >= len(rss):
                    rss.append((time.monotonic() - start, rss_mb(node.pid)))
                time.sleep(max(0.0, start + i / args.rate - time.monotonic()))
            time.sleep(5.0)  # the frame in progress, then a fresh /diagnostics
            rss_after = rss_mb(node.pid)
        finally:
            executor.shutdown()
            spinner.join()
            peer.destroy_node()
            rclpy.try_shutdown(context=context)
            node.terminate()
            node.wait(timeout=30)
    latencies = np.array([answered[s] - published[s] for s in answered if s in published]) * 1e3
    print(f"vo_node over DDS: {i} frames at {args.rate:g} Hz for {args.seconds:g} s; processed "
          f"{counts.get('processed')}, dropped {counts.get('dropped')}, rejected {counts.get('rejected')}, lost "
          f"{counts.get('lost')}; {len(latencies) / args.seconds:.2f} odometry/s")
    if len(latencies):
        print(f"latency (publish to odometry) p50 {np.percentile(latencies, 50):.0f} ms, p99 "
              f"{np.percentile(latencies, 99):.0f} ms")
    print(f"RSS after warm-up {rss_before:.0f} MB, after the run {rss_after:.0f} MB")
    if rss:
        print(rss_summary(rss))
    return 0 if len(latencies) else 1


def rss_summary(samples) -> str:
    """RSS at each tenth of the run, the maximum, and the growth from the first quarter's median to the last's."""
    seconds, mb = np.array(samples).T
    marks = sorted({int(k) for k in np.linspace(0, len(mb) - 1, 11)})
    quarter = max(1, len(mb) // 4)
    first, last = np.median(mb[:quarter]), np.median(mb[-quarter:])
    return ("RSS over time: " + ", ".join(f"{seconds[k]:.0f} s {mb[k]:.0f}" for k in marks) + " MB; "
            f"max {mb.max():.0f} MB; median first quarter {first:.0f}, last quarter {last:.0f} MB: growth "
            f"{last - first:+.0f} MB")


def _ns(stamp) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec
