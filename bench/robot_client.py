# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""An independent robot client: vo_node as a robot bring-up sees it, the base_link trajectory scored against truth.

This process is the robot: it publishes the camera (images with their CameraInfo, in lock step with the node's odometry
so that every frame is scored) and the camera's mounting on /tf_static as robot_state_publisher does (base_link ->
camera_link -> camera_optical_frame; default: 1.2 m ahead of and 1.5 m above the base, level). It starts vo_node as
a user would, at its defaults in a namespace (`--ros-args -r __ns:=/robot1 --params-file config/vo.yaml`), or talks
to one already running (`--no-start-node`). Then it prints one JSON line:

- the frame checks: odom -> base_link (child frame), TF odom -> base_link at every odometry's stamp, REP-103 axes (the
  rotation of the Sim(3) alignment to the truth, near 0 degrees when odom's axes are the base's), every twist
  covariance positive;
- the base_link trajectory's ATE after Sim(3) against the true base (the true camera composed with the mounting:
  B T_camera0_camera B^-1), and the camera's own (the odometry taken back through the mounting) for comparison.

    python bench/robot_client.py ../shared/data/kitti01_51
    lightglue-vo synth /tmp/street --trajectory street --frames 100 --fps 10 && python bench/robot_client.py /tmp/street

A folder is KITTI-like (`image_0/`, `camera.txt`: fx fy cx cy, `groundtruth.txt`: TUM, stamp = frame index, 10 Hz) or
`lightglue-vo synth`'s (`rgb/`, `camera_info.yaml`, `groundtruth.txt`). tf2_msgs comes from the test setup's build
(test/build_tf2_msgs.py) where no ROS install has it.

More inputs of the robot (wheel odometry, an IMU) are `Sensor`s: each is told every frame's stamp and true base pose
before the image goes out, and may say that the odometry is metric (then the ATE is also given without scale
alignment). `SENSORS` maps a command-line flag to one; a new sensor adds its class and its `add_arguments` there.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KITTI_FPS = 10.0
T0 = 1000.0  # the first frame's stamp, seconds
# tf2_ros.StaticBroadcasterQoS / TransformBroadcaster: depth 1 transient local / depth 100 volatile, reliable.


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="KITTI-like or `lightglue-vo synth` folder")
    parser.add_argument("--frames", type=int, default=0, help="the first N frames (0: all)")
    parser.add_argument("--namespace", default="/robot1", help="the node's namespace (default /robot1)")
    parser.add_argument("--mounting", type=float, nargs=3, default=(1.2, 0.0, 1.5), metavar=("X", "Y", "Z"),
                        help="camera_link in base_link, metres, level and looking along base x (default 1.2 0 1.5)")
    parser.add_argument("--mounting-from", choices=("tf", "parameter", "none"), default="tf",
                        help="how the node learns the mounting: /tf_static (default), base_from_camera given to the "
                        "node it starts (no TF), or not at all (its fallback, base_link at the camera, scored as such)")
    parser.add_argument("--no-start-node", action="store_true", help="use a vo_node already running")
    parser.add_argument("--node-arg", action="append", default=[], help="extra --ros-args for the node (repeat)")
    parser.add_argument("--domain", type=int, default=int(os.environ.get("ROS_DOMAIN_ID", "0")))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one frame's odometry")
    parser.add_argument("--log", type=Path, default=None, help="the node's log (default: a temporary file)")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    for sensor in SENSORS.values():
        sensor.add_arguments(parser)
    return parser.parse_args(argv)


# --- the sequence --------------------------------------------------------------------------------------------------

def load_sequence(folder: Path):
    """(image paths, stamps s, intrinsics fx fy cx cy, true camera poses relative to the first, encoding)."""
    from lightglue_ros.vo.sources import image_files, read_camera_info_yaml
    from lightglue_ros.vo.tum import read_tum
    gt_stamps, gt_poses = read_tum(folder / "groundtruth.txt")
    if (folder / "image_0").is_dir():  # KITTI: frame index names, 10 Hz
        paths = sorted((folder / "image_0").glob("*.png"))
        stamps = np.array([int(p.stem) for p in paths]) / KITTI_FPS
        gt_stamps = gt_stamps / KITTI_FPS
        intrinsics = tuple(float(v) for v in (folder / "camera.txt").read_text().split()[:4])
        encoding = "mono8"
    else:
        files = image_files(folder / "rgb")
        stamps, paths = np.array([s for s, _ in files]), [p for _, p in files]
        camera = read_camera_info_yaml(folder / "camera_info.yaml")
        intrinsics, encoding = (camera.fx, camera.fy, camera.cx, camera.cy), "bgr8"
    index = {round(s, 6): i for i, s in enumerate(gt_stamps)}
    keep = [i for i, s in enumerate(stamps) if round(s, 6) in index]
    truth = gt_poses[[index[round(stamps[i], 6)] for i in keep]]
    truth = np.linalg.inv(truth[0]) @ truth  # relative to the first frame: the VO convention
    return [paths[i] for i in keep], stamps[keep] - stamps[keep][0], intrinsics, truth, encoding


def mounting_matrix(xyz) -> np.ndarray:
    from lightglue_ros.ros.frames import OPTICAL_IN_BASE, T_base_camera_of
    return T_base_camera_of(tuple(xyz) + OPTICAL_IN_BASE[3:])


def robot_tf(xyz) -> list:
    """robot_state_publisher's transforms for the camera: base_link -> camera_link -> camera_optical_frame."""
    return [("base_link", "camera_link", tuple(xyz), (0.0, 0.0, 0.0, 1.0)),
            ("camera_link", "camera_optical_frame", (0.0, 0.0, 0.0), (-0.5, 0.5, -0.5, 0.5))]


# --- more sensors of the robot ---------------------------------------------------------------------------------------

class Sensor:
    """Another input of the robot, published next to the camera. `metric`: with it the odometry has metric scale."""

    metric = False

    @staticmethod
    def add_arguments(parser) -> None:
        pass

    @classmethod
    def from_args(cls, args, node, namespace: str):
        """The sensor when its flag is given, else None."""
        return None

    def on_frame(self, stamp, seconds: float, T_odom_base_true: np.ndarray) -> None:
        """Called before frame `seconds`' image is published, with the true base pose at its stamp."""


class WheelOdometrySensor(Sensor):
    """The robot's wheel odometry on `wheel_odom` (nav_msgs/Odometry of base_link, at every frame's stamp).

    The true base motion, each step's translation scaled by (1 + SCALE_ERR) and (1 + NOISE x a standard normal).
    """

    metric = True

    @staticmethod
    def add_arguments(parser) -> None:
        parser.add_argument("--wheel-odom", metavar="SCALE_ERR,NOISE",
                            help="also publish wheel odometry with this scale error and per-step noise (fractions, "
                            "e.g. 0.02,0.01): the node's odometry is then metric, scored without scale too")

    @classmethod
    def from_args(cls, args, node, namespace: str):
        return None if args.wheel_odom is None else cls(args.wheel_odom, node, namespace)

    def __init__(self, spec: str, node, namespace: str):
        from nav_msgs.msg import Odometry
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        self.scale_error, self.noise = (float(v) for v in spec.split(","))
        self.msg_type, self.rng = Odometry, np.random.default_rng(0)
        self.publisher = node.create_publisher(Odometry, f"{namespace.rstrip('/')}/wheel_odom",
                                               QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE))
        self.true = self.pose = None

    def on_frame(self, stamp, seconds: float, T_odom_base_true: np.ndarray) -> None:
        from scipy.spatial.transform import Rotation
        if self.true is None:
            self.pose = T_odom_base_true.copy()
        else:
            step = np.linalg.inv(self.true) @ T_odom_base_true
            step[:3, 3] *= (1.0 + self.scale_error) * (1.0 + self.noise * self.rng.standard_normal())
            self.pose = self.pose @ step
        self.true = T_odom_base_true.copy()
        msg = self.msg_type()
        msg.header.stamp, msg.header.frame_id, msg.child_frame_id = stamp, "wheel_odom", "base_link"
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        p.x, p.y, p.z = (float(v) for v in self.pose[:3, 3])
        q.x, q.y, q.z, q.w = (float(v) for v in Rotation.from_matrix(self.pose[:3, :3]).as_quat())
        self.publisher.publish(msg)


SENSORS: dict = {"wheel_odom": WheelOdometrySensor}  # flag -> Sensor subclass


# --- the client ------------------------------------------------------------------------------------------------------

class RobotClient:
    """Camera, /tf_static and sensors out; odom, /tf and status in (spun on a background thread)."""

    def __init__(self, args, domain: int):
        import rclpy
        from nav_msgs.msg import Odometry
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import String
        from tf2_msgs.msg import TFMessage

        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.node = rclpy.create_node("robot_client", context=self.context)
        ns = args.namespace.rstrip("/")
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.image_pub = self.node.create_publisher(Image, f"{ns}/image", reliable)
        self.info_pub = self.node.create_publisher(CameraInfo, f"{ns}/camera_info", reliable)
        self.static_pub = self.node.create_publisher(TFMessage, "/tf_static", QoSProfile(
            depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        self.odometry, self.statuses, self.tf = [], {}, {}
        self.lock = threading.Lock()
        self.node.create_subscription(Odometry, f"{ns}/odom", self.on_odom, QoSProfile(depth=1000))
        self.node.create_subscription(String, f"{ns}/status", self.on_status, QoSProfile(depth=1000))
        self.node.create_subscription(TFMessage, "/tf", self.on_tf, QoSProfile(depth=100))
        self.sensors = [s for s in (cls.from_args(args, self.node, ns) for cls in SENSORS.values()) if s is not None]
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def on_odom(self, msg) -> None:
        with self.lock:
            self.odometry.append(msg)

    def on_status(self, msg) -> None:
        status = json.loads(msg.data)
        self.statuses[round(status["stamp"], 6)] = status["state"]

    def on_tf(self, msg) -> None:
        for t in msg.transforms:
            self.tf[(t.header.stamp.sec, t.header.stamp.nanosec)] = t

    def publish_mounting(self, transforms) -> None:
        from geometry_msgs.msg import TransformStamped
        from tf2_msgs.msg import TFMessage
        message = TFMessage()
        for parent, child, xyz, quaternion in transforms:
            t = TransformStamped()
            t.header.frame_id, t.child_frame_id = parent, child
            t.header.stamp = self.node.get_clock().now().to_msg()
            t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = xyz
            q = t.transform.rotation
            q.x, q.y, q.z, q.w = quaternion
            message.transforms.append(t)
        self.static_pub.publish(message)

    def wait_for_node(self, process, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while self.image_pub.get_subscription_count() == 0 or self.info_pub.get_subscription_count() == 0:
            if process is not None and process.poll() is not None:
                raise SystemExit("vo_node exited during start-up (see its log)")
            if time.monotonic() > deadline:
                raise SystemExit("no vo_node subscribed to image and camera_info")
            time.sleep(0.1)
        time.sleep(0.5)  # discovery of its publishers

    def send(self, image: np.ndarray, encoding: str, intrinsics, seconds: float, truth_base: np.ndarray,
             timeout: float) -> bool:
        """One frame in lock step: True once its odometry came."""
        from builtin_interfaces.msg import Time
        from sensor_msgs.msg import CameraInfo

        from lightglue_ros.ros.image_conversion import numpy_to_image
        sec = int(np.floor(seconds))
        stamp = Time(sec=sec, nanosec=int(round((seconds - sec) * 1e9)) % 1_000_000_000)
        for sensor in self.sensors:
            sensor.on_frame(stamp, seconds, truth_base)
        fx, fy, cx, cy = intrinsics
        height, width = image.shape[:2]
        info = CameraInfo(width=width, height=height, distortion_model="plumb_bob", d=[0.0] * 5,
                          k=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0],
                          p=[fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0])
        info.header.stamp, info.header.frame_id = stamp, "camera_optical_frame"
        count = len(self.odometry)
        self.info_pub.publish(info)
        self.image_pub.publish(numpy_to_image(image, encoding, stamp, "camera_optical_frame"))
        deadline = time.monotonic() + timeout
        while len(self.odometry) == count and time.monotonic() < deadline:
            time.sleep(0.005)
        return len(self.odometry) > count

    def close(self) -> None:
        import rclpy
        self.executor.shutdown()
        self.thread.join()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


# --- scoring ---------------------------------------------------------------------------------------------------------

def pose_of(msg) -> np.ndarray:
    from lightglue_ros.vo.transforms import transform_from_quaternion
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    return transform_from_quaternion([p.x, p.y, p.z], [q.x, q.y, q.z, q.w])


def frame_checks(client: RobotClient, odometry) -> dict:
    stamps = [(m.header.stamp.sec, m.header.stamp.nanosec) for m in odometry]
    tf_ok = all(s in client.tf and client.tf[s].header.frame_id == m.header.frame_id
                and client.tf[s].child_frame_id == m.child_frame_id
                and np.allclose([client.tf[s].transform.translation.x, client.tf[s].transform.translation.y,
                                 client.tf[s].transform.translation.z], pose_of(m)[:3, 3], atol=1e-9)
                for s, m in zip(stamps, odometry))
    twist_sd = np.array([np.sqrt(np.diag(np.reshape(m.twist.covariance, (6, 6))).clip(0)) for m in odometry])
    return {"odom_frames": sorted({f"{m.header.frame_id} -> {m.child_frame_id}" for m in odometry}),
            "tf_matches_odom": bool(tf_ok),
            "twist_covariance_positive": bool(all(np.all(np.diag(np.reshape(m.twist.covariance, (6, 6))) > 0)
                                                  for m in odometry)),
            "twist_sd_min": float(twist_sd.min())}


def axes_check(estimate: np.ndarray, truth: np.ndarray) -> dict:
    """REP-103 axes, checked without any alignment.

    odom starts at the base, so the base's orientation is the true one (rotation has no scale) and a car driving
    forward moves along its own +x; in the camera's optical axes neither would hold.
    """
    from scipy.spatial.transform import Rotation
    errors = [Rotation.from_matrix(E[:3, :3].T @ T[:3, :3]).magnitude() for E, T in zip(estimate, truth)]
    steps = [(np.linalg.inv(a) @ b)[:3, 3] for a, b in zip(estimate[:-1], estimate[1:])]  # in the base's own axes
    return {"orientation_error_max_deg": round(float(np.degrees(max(errors))), 2),
            "true_yaw_deg": round(float(np.degrees(Rotation.from_matrix(truth[-1][:3, :3]).as_euler("zyx")[0])), 1),
            "steps_forward_in_base_x": f"{sum(int(step[0] > 0) for step in steps)}/{len(steps)}"}


def score(stamps, estimate, truth, correct_scale: bool) -> dict:
    """ATE (evo) and the rotation of the alignment (REP-103: odom's axes are the true base's, so near 0 degrees)."""
    from evo.core.geometry import umeyama_alignment
    from scipy.spatial.transform import Rotation

    from lightglue_ros.vo.evaluation import evaluate_trajectory
    errors = evaluate_trajectory(stamps, estimate, stamps, truth, correct_scale=correct_scale)
    R, _, _ = umeyama_alignment(estimate[:, :3, 3].T, truth[:, :3, 3].T, correct_scale)
    return {"alignment": errors.alignment, "ate_rmse_m": round(errors.ate_rmse, 4),
            "ate_percent": round(100 * errors.ate_rmse / errors.path_length, 3),
            "path_m": round(errors.path_length, 2), "scale": round(errors.scale, 4),
            "alignment_rotation_deg": round(float(np.degrees(Rotation.from_matrix(R).magnitude())), 2)}


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT / "test"))
    try:
        import tf2_msgs  # noqa: F401  (a ROS install's)
    except ImportError:
        from build_tf2_msgs import ensure_built
        built = str(ensure_built())
        sys.path.insert(0, built)
        os.environ["PYTHONPATH"] = os.pathsep.join([built, str(ROOT), os.environ.get("PYTHONPATH", "")])
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    from lightglue_ros.ros.frames import OPTICAL_IN_BASE, T_world_camera_of, applied_mounting

    paths, times, intrinsics, truth_camera, encoding = load_sequence(args.folder)
    if args.frames:
        paths, times, truth_camera = paths[:args.frames], times[:args.frames], truth_camera[:args.frames]
    # The node's mounting: the robot's (TF or parameter), or with none its fallback (base_link at the camera).
    B = mounting_matrix((0.0, 0.0, 0.0) if args.mounting_from == "none" else args.mounting)
    truth_base = B @ truth_camera @ np.linalg.inv(B)  # B T_camera0_camera B^-1: the base relative to its start

    client = RobotClient(args, args.domain)
    node_args = list(args.node_arg)
    if args.mounting_from == "tf":
        client.publish_mounting(robot_tf(args.mounting))
    elif args.mounting_from == "parameter":
        pose = (*args.mounting, *OPTICAL_IN_BASE[3:])
        node_args += ["-p", f"base_from_camera:=[{','.join(str(float(v)) for v in pose)}]"]
    node, log_path = None, args.log or Path(f"/tmp/robot_client_vo_node_{os.getpid()}.log")
    if not args.no_start_node:
        env = dict(os.environ, ROS_DOMAIN_ID=str(args.domain), PYTHONUNBUFFERED="1")
        node = subprocess.Popen([sys.executable, "-m", "lightglue_ros.ros.vo_node", "--ros-args",
                                 "-r", f"__ns:={args.namespace}", "--params-file", str(ROOT / "config" / "vo.yaml"),
                                 *node_args], env=env, cwd=ROOT, stdout=open(log_path, "w"),
                                stderr=subprocess.STDOUT)
    lost = []
    try:
        client.wait_for_node(node)
        start = time.monotonic()
        for i, (path, t) in enumerate(zip(paths, times)):
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if encoding == "mono8" else cv2.IMREAD_COLOR)
            if not client.send(image, encoding, intrinsics, T0 + t, truth_base[i], args.timeout):
                lost.append(i)
        elapsed = time.monotonic() - start
        time.sleep(1.0)  # the last TF and status in flight
    finally:
        if node is not None:
            node.terminate()
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.kill()
        client.close()

    by_stamp = {round(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 - T0, 6): m for m in client.odometry}
    index = [i for i, t in enumerate(times) if round(t, 6) in by_stamp]
    odometry = [by_stamp[round(times[i], 6)] for i in index]
    estimate = np.stack([pose_of(m) for m in odometry])
    states = [client.statuses.get(round(T0 + times[i], 6)) for i in index]
    metric = any(s.metric for s in client.sensors)
    # The mounting the node composed: its translation only with metric scale (frames.applied_mounting).
    applied = applied_mounting(B, metric)
    result = {"sequence": str(args.folder), "frames": len(paths), "odometry": len(odometry), "no_answer": lost,
              "tracking": sum(s == "TRACKING" for s in states), "s_per_frame": round(elapsed / len(paths), 2),
              "mounting_from": args.mounting_from, "mounting_xyz": list(args.mounting),
              **frame_checks(client, odometry),
              "rep103": axes_check(estimate, truth_base[index]),
              "base_sim3": score(times[index], estimate, truth_base[index], True),
              "camera_sim3": score(times[index], np.stack([T_world_camera_of(T, applied) for T in estimate]),
                                   truth_camera[index], True)}
    if metric:
        result["base_se3"] = score(times[index], estimate, truth_base[index], False)
    else:  # monocular: what the lever arm's units do (the same odometry, other mountings composed offline)
        cameras = np.stack([T_world_camera_of(T, applied) for T in estimate])
        in_units = B.copy()
        in_units[:3, 3] /= result["camera_sim3"]["scale"]  # metres per unit from the truth: an oracle
        rotation_only = B.copy()
        rotation_only[:3, 3] = 0.0
        result["what_if"] = {
            f"base_sim3_ate_percent_{name}": score(times[index], T_mount @ cameras @ np.linalg.inv(T_mount),
                                                   truth_base[index], True)["ate_percent"]
            for name, T_mount in (("lever_arm_in_odometry_units", in_units), ("without_lever_arm", rotation_only),
                                  ("lever_arm_in_metres", B))}
    log = log_path.read_text() if log_path.exists() else ""
    result["mounting_log"] = [line.split("]: ", 1)[-1][:200] for line in log.splitlines() if "mounting" in line]
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
