# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo demo`: the synthetic camera -> vo_node over real DDS, scored against the exact ground truth.

Starts two processes on a fresh ROS domain (localhost only): `synthetic_camera` and `vo_node` (with the default
parameters written to a YAML file, as a user would run it). The camera is lock-stepped to the node's odometry so
every frame is processed however fast the machine is. Odometry is printed as it arrives; at the end the
trajectory is aligned to the ground truth (SE(3) with the camera's depth: metric scale; Sim(3) with `--mono`,
whose scale is unobservable), the ATE is printed and a
top-view plot written. Exit status 1 when tracking failed (too few frames tracked or ATE above the bound).
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HELP = "synthetic camera -> vo_node over DDS, scored against ground truth"
CAMERA_NS = "/synthetic"


def add_arguments(parser) -> None:
    parser.add_argument("--frames", type=int, default=120, help="frames to run (default 120)")
    parser.add_argument("--size", default="320x240", help="image size WIDTHxHEIGHT (default 320x240: quick on a CPU)")
    parser.add_argument("--trajectory", default="orbit", help="synthetic trajectory (default orbit)")
    parser.add_argument("--seed", type=int, default=0, help="scene seed (default 0)")
    parser.add_argument("--features", default="aliked", choices=("superpoint", "aliked", "disk"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--every", type=int, default=10, help="print odometry every N frames (default 10)")
    parser.add_argument("--output", type=Path, default=Path("outputs/demo_trajectory.png"),
                        help="trajectory plot; the TUM files go next to it (default outputs/demo_trajectory.png)")
    parser.add_argument("--mono", action="store_true", help="monocular: no depth topic, Sim(3)-aligned score")
    parser.add_argument("--min-tracked", type=float, default=0.9,
                        help="fail below this fraction of frames with odometry (default 0.9)")
    parser.add_argument("--max-ate", type=float, default=0.02,
                        help="fail when the ATE RMSE exceeds this fraction of the path length (default 0.02)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    parser.add_argument("--domain-id", type=int, default=None, help="ROS_DOMAIN_ID (default: a random one)")


def write_params(path: Path, overrides: dict) -> Path:
    """The node's full parameter set (dataclass defaults, as in config/vo.yaml) with the demo's overrides."""
    import yaml

    from lightglue_ros.ros.params_yaml import NODE_KEY, node_parameters

    params = node_parameters()
    params.update(overrides)
    path.write_text(yaml.safe_dump({NODE_KEY: {"ros__parameters": params}}, sort_keys=False))
    return path


def python_module(module: str, *ros_args: str) -> list:
    return [sys.executable, "-m", module, "--ros-args", *ros_args]


class Listener:
    """Collects odometry and status from the node; prints a line every `every` odometry messages."""

    def __init__(self, context, every: int):
        import rclpy
        from nav_msgs.msg import Odometry
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile

        self.node = rclpy.create_node("demo_listener", context=context)
        self.every, self.odometry, self.status, self.timings = every, [], {}, []
        self.node.create_subscription(Odometry, "/odom", self.on_odometry, QoSProfile(depth=100))
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()
        self._status_subscribed = False

    def subscribe_status(self) -> None:
        """`status` is subscribed with whatever type the node publishes (found in the graph)."""
        if self._status_subscribed:
            return
        from rclpy.qos import QoSProfile

        from lightglue_ros.ros.lockstep import message_class

        types = dict(self.node.get_topic_names_and_types()).get("/status")
        if types:
            self.node.create_subscription(message_class(types[0]), "/status", self.on_status, QoSProfile(depth=100))
            self._status_subscribed = True

    def on_status(self, msg) -> None:
        fields = {}
        if hasattr(msg, "data") and isinstance(msg.data, str):
            try:
                fields = json.loads(msg.data)
            except ValueError:
                fields = {}
        else:
            fields = {name: getattr(msg, name) for name in msg.get_fields_and_field_types()}
        self.status = fields
        if "timings_ms" in fields:
            self.timings.append(fields["timings_ms"])

    def on_odometry(self, msg) -> None:
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        self.odometry.append((stamp, p.x, p.y, p.z, q.x, q.y, q.z, q.w))
        n = len(self.odometry)
        if n == 1 or n % self.every == 0:
            state = self.status.get("state", "?")
            layers = self.status.get("stop_layer", self.status.get("layers", "?"))
            total = self.status.get("timings_ms", {}).get("total", float("nan"))
            print(f"frame {n:5d}  t={stamp:.3f}  position=({p.x:+.3f}, {p.y:+.3f}, {p.z:+.3f})  "
                  f"state={state}  layers={layers}  {1e3 / total:.1f} frames/s", flush=True)

    def speed(self) -> str:
        """The node's median per-stage ms and frames/s over the run."""
        stages = {name: np.median([t.get(name, 0.0) for t in self.timings]) for name in self.timings[-1]}
        total = stages.pop("total")
        return f"{1e3 / total:.2f} frames/s ({total:.0f} ms: " + \
            ", ".join(f"{name} {ms:.0f}" for name, ms in stages.items()) + ")"

    def close(self) -> None:
        self.executor.shutdown()
        self.thread.join()
        self.node.destroy_node()


def render_ms(args) -> float:
    """What one frame costs the synthetic camera (it must not be the bottleneck)."""
    from lightglue_ros.sim import SyntheticSequence

    width, height = (int(v) for v in args.size.split("x"))
    sequence = SyntheticSequence(args.trajectory, frames=4, size=(width, height), seed=args.seed)
    sequence.frame(0)  # builds the scene
    start = time.perf_counter()
    for i in range(1, 4):
        sequence.frame(i)
    return (time.perf_counter() - start) / 3 * 1e3


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def score(estimate_file: Path, truth_file: Path, mono: bool):
    """Errors of the node's trajectory against the ground truth: Sim(3)-aligned for monocular runs."""
    from lightglue_ros.vo.evaluation import evaluate_trajectory
    from lightglue_ros.vo.tum import read_tum

    return evaluate_trajectory(*read_tum(estimate_file), *read_tum(truth_file), correct_scale=mono,
                               max_time_diff=1e-3)


def run(args) -> int:
    import rclpy

    out_dir = args.output.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_file, estimate_file = out_dir / "demo_groundtruth.txt", out_dir / "demo_estimate.txt"
    truth_file.unlink(missing_ok=True)
    domain_id = args.domain_id if args.domain_id is not None else random.randint(1, 101)
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    # The camera publishes reliably; a reliable subscription also keeps large frames intact on a loaded host.
    params = write_params(out_dir / "demo_params.yaml",
                          {"features": args.features, "device": args.device, "qos": "reliable"})
    print(f"demo: ROS_DOMAIN_ID={domain_id}, {args.frames} frames of '{args.trajectory}' at {args.size}, "
          f"{args.features} on {args.device}; parameters in {params}", flush=True)

    node = subprocess.Popen(python_module(
        "lightglue_ros.ros.vo_node", "--params-file", str(params), "-r", "__node:=vo_node",
        "-r", f"image:={CAMERA_NS}/image", "-r", f"camera_info:={CAMERA_NS}/camera_info",
        "-r", f"depth:={CAMERA_NS}/depth"), env=env)
    camera = subprocess.Popen(python_module(
        "lightglue_ros.ros.synthetic_camera_node", "-r", f"__ns:={CAMERA_NS}",
        "-p", f"trajectory:={args.trajectory}", "-p", f"frames:={args.frames}", "-p", f"size:={args.size}",
        "-p", f"seed:={args.seed}", "-p", f"publish_depth:={str(not args.mono).lower()}",
        "-p", "ack_topic:=/odom", "-p", "ack_timeout:=10.0",
        "-p", f"ground_truth_file:={truth_file.resolve()}"), env=env)

    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"  # this process's listener, like the children
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id)
    listener = Listener(context, args.every)
    deadline = time.monotonic() + args.timeout
    try:
        while camera.poll() is None and node.poll() is None and time.monotonic() < deadline:
            listener.subscribe_status()
            time.sleep(0.2)
        if camera.poll() is None:
            print("demo: " + ("vo_node exited early" if node.poll() is not None else "timed out"), flush=True)
        time.sleep(1.0)  # the last odometry in flight
    finally:
        stop(camera)
        stop(node)
        listener.close()
        rclpy.try_shutdown(context=context)

    odometry = np.array(listener.odometry)
    tracked = len(odometry) / args.frames
    print(f"demo: {len(odometry)} odometry messages for {args.frames} frames ({100 * tracked:.1f} %)")
    if listener.timings:
        print(f"demo: vo_node {listener.speed()}; the synthetic camera renders a frame in "
              f"{render_ms(args):.0f} ms")
    if camera.returncode != 0 or not truth_file.exists() or len(odometry) < 3:
        print("demo: FAILED (no usable run)")
        return 1
    np.savetxt(estimate_file, odometry, fmt="%.9f")
    from lightglue_ros.vo.evaluation import plot_trajectory

    errors = score(estimate_file, truth_file, args.mono)
    ratio = errors.ate_rmse / max(errors.path_length, 1e-9)
    plot_trajectory(args.output, errors, f"demo ({args.trajectory}): vo_node vs ground truth")
    print(f"demo: {errors.summary()}; plot {args.output}, trajectories {estimate_file}, {truth_file}")
    ok = tracked >= args.min_tracked and ratio <= args.max_ate
    print("demo: OK" if ok else f"demo: FAILED (need >= {100 * args.min_tracked:.0f} % tracked and "
          f"ATE <= {100 * args.max_ate:.1f} % of the path)")
    return 0 if ok else 1
