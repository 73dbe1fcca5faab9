"""`vo_node`: the ROS 2 shell around the tracker (`lightglue_ros.vo.tracker.Tracker`).

Subscribes (relative names, remap them): `image` (sensor_msgs/Image) or `image/compressed` (parameter
`compressed`), `camera_info`, optional `depth` (aligned, 16UC1 mm or 32FC1 m), `reset_pose`
(geometry_msgs/PoseWithCovarianceStamped: restart the trajectory at that base pose).
Publishes: `odom` (nav_msgs/Odometry), `path` (nav_msgs/Path), `matches` (sensor_msgs/PointCloud2, see
MATCH_FIELDS), `matches_image` (overlay, rendered only while subscribed), `status` (std_msgs/String, JSON),
`/diagnostics`, and TF odom_frame → base frame when tf2_ros is importable.
Service: `reset` (std_srvs/Trigger).

Frames are processed on a worker thread, newest first: a frame that arrives while the tracker is busy replaces the
waiting one, which is counted as dropped. Times come from the image headers, so sim time and bags work.
"""
from __future__ import annotations

import json
import sys
import threading
from collections import deque
from typing import Optional

import cv2
import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped, PoseWithCovarianceStamped, TransformStamped
from nav_msgs.msg import Odometry, Path
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from scipy.spatial.transform import Rotation
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2, PointField
from std_msgs.msg import String
from std_srvs.srv import Trigger

from lightglue_ros.image_conversion import BACKEND, image_from_compressed, image_from_msg, numpy_to_image
from lightglue_ros.node_config import NodeConfig
from lightglue_ros.ros_parameters import declare_parameters, updated
from lightglue_ros.vo.camera import CameraModel
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.scale import depth_to_metres

CAMERA_INFO_GRACE_S = 0.5  # how long a first image waits for its CameraInfo before it is dropped

# `matches`: one point per match of this frame to its keyframe. u0 v0: keyframe pixel, u1 v1: this frame's pixel,
# score: LightGlue probability, inlier: 1 for inliers of the relative pose; every point also carries the
# keyframe's id and stamp (seconds), so consumers can associate matches without another topic.
MATCH_FIELDS = [("u0", PointField.FLOAT32), ("v0", PointField.FLOAT32), ("u1", PointField.FLOAT32),
                ("v1", PointField.FLOAT32), ("score", PointField.FLOAT32), ("inlier", PointField.FLOAT32),
                ("keyframe_id", PointField.UINT32), ("keyframe_stamp", PointField.FLOAT64)]
MATCH_DTYPE = np.dtype([(name, np.float32) for name, _ in MATCH_FIELDS[:6]]
                       + [("keyframe_id", np.uint32), ("keyframe_stamp", np.float64)])


def stamp_seconds(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def pose_matrix(position, quaternion) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = Rotation.from_quat(quaternion).as_matrix()
    T[:3, 3] = position
    return T


def matches_cloud(result, header) -> PointCloud2:
    points = np.zeros(len(result.matches), MATCH_DTYPE)
    if len(points):
        u0v0 = result.keyframe_keypoints[result.matches[:, 0]]
        u1v1 = result.keypoints[result.matches[:, 1]]
        points["u0"], points["v0"] = u0v0[:, 0], u0v0[:, 1]
        points["u1"], points["v1"] = u1v1[:, 0], u1v1[:, 1]
        points["score"], points["inlier"] = result.scores, result.inliers.astype(np.float32)
    points["keyframe_id"], points["keyframe_stamp"] = result.keyframe_id, result.keyframe_stamp
    return PointCloud2(header=header, height=1, width=len(points), is_bigendian=False,
                       point_step=MATCH_DTYPE.itemsize, row_step=MATCH_DTYPE.itemsize * len(points), is_dense=True,
                       fields=[PointField(name=name, offset=MATCH_DTYPE.fields[name][1], datatype=kind, count=1)
                               for name, kind in MATCH_FIELDS],
                       data=points.tobytes())


def draw_matches(image: np.ndarray, result) -> np.ndarray:
    """This frame with a line from each match's keyframe position: green inliers, red outliers."""
    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image.copy()
    for (i0, i1), inlier in zip(result.matches, result.inliers):
        p0 = tuple(np.round(result.keyframe_keypoints[i0]).astype(int))
        p1 = tuple(np.round(result.keypoints[i1]).astype(int))
        colour = (0, 220, 0) if inlier else (230, 0, 0)
        cv2.line(canvas, p0, p1, colour, 1, cv2.LINE_AA)
        cv2.circle(canvas, p1, 2, colour, -1)
    cv2.putText(canvas, f"{result.state.value} kf {result.keyframe_id} inliers {int(result.inliers.sum())}",
                (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 1, cv2.LINE_AA)
    return canvas


class LatestFrame:
    """A one-slot mailbox: put() replaces what is waiting (counted as dropped), take() blocks for the next."""

    def __init__(self):
        self._condition = threading.Condition()
        self._item = None
        self.dropped = 0
        self.closed = False

    def put(self, item) -> None:
        with self._condition:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._condition.notify()

    def take(self):
        with self._condition:
            while self._item is None and not self.closed:
                self._condition.wait(0.5)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()


class VONode(Node):
    def __init__(self):
        super().__init__("vo_node")
        log = self.get_logger()
        self.vo_config = declare_parameters(self, VOConfig)
        self.config = declare_parameters(self, NodeConfig)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        cfg = self.config

        from lightglue_ros.models.matching import FeatureMatcher
        from lightglue_ros.vo.tracker import Tracker
        import torch
        if self.vo_config.device.startswith("cuda") and not torch.cuda.is_available():
            log.warning(f"device={self.vo_config.device} but CUDA is not available: running on the CPU")
        matcher = FeatureMatcher.from_config(self.vo_config)
        if cfg.warmup:
            matcher.warmup()
        self.tracker = Tracker(self.vo_config, matcher=matcher)
        log.info(f"{self.vo_config.features} + LightGlue on {matcher.device} ({matcher.precision}), "
                 f"image conversion: {BACKEND}")

        self.T_base_camera = pose_matrix(cfg.base_from_camera[:3], cfg.base_from_camera[3:])
        self.camera: Optional[CameraModel] = None
        self.camera_received = threading.Event()
        self.fallback_intrinsics = tuple(cfg.intrinsics) if any(cfg.intrinsics) else None
        self.frames = LatestFrame()
        self.depths = deque(maxlen=10)
        self.reset_to: Optional[np.ndarray] = None  # T_odom_base requested by reset / reset_pose
        self.reset_requested = False
        self.last_stamp: Optional[float] = None
        self.last_pose = None  # (stamp, T_odom_base) for the twist
        self.last_result = None
        self.processed = 0
        self.rejected = 0
        self.path = Path()
        self.path.header.frame_id = cfg.odom_frame

        qos = qos_profile_sensor_data if cfg.qos == "sensor_data" else QoSProfile(
            depth=cfg.queue_depth, reliability=ReliabilityPolicy.RELIABLE)
        if cfg.compressed:
            self.create_subscription(CompressedImage, "image/compressed", self.on_image, qos)
        else:
            self.create_subscription(Image, "image", self.on_image, qos)
        self.create_subscription(CameraInfo, "camera_info", self.on_camera_info, qos)
        self.create_subscription(Image, "depth", lambda msg: self.depths.append(msg), qos)
        self.create_subscription(PoseWithCovarianceStamped, "reset_pose", self.on_reset_pose, 10)
        self.create_service(Trigger, "reset", self.on_reset)
        self.odom_pub = self.create_publisher(Odometry, "odom", 10)
        self.path_pub = self.create_publisher(Path, "path", 10)
        self.matches_pub = self.create_publisher(PointCloud2, "matches", 10)
        self.matches_image_pub = self.create_publisher(Image, "matches_image", 10)
        self.status_pub = self.create_publisher(String, "status", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(1.0, self.publish_diagnostics)
        self.create_timer(2.0, self.warn_without_camera)
        self.tf_broadcaster = None
        if cfg.publish_tf:
            try:
                from tf2_ros import TransformBroadcaster
                self.tf_broadcaster = TransformBroadcaster(self)
            except ImportError:
                log.warning("tf2_ros is not importable: no TF is broadcast (odometry is still published)")
        self.worker = threading.Thread(target=self.work, daemon=True)
        self.worker.start()

    # --- inputs (executor thread) -----------------------------------------------------------------------

    def on_image(self, msg) -> None:
        self.frames.put(msg)

    def on_camera_info(self, msg: CameraInfo) -> None:
        try:
            camera = CameraModel.from_camera_info(msg.k, msg.d, msg.distortion_model or "plumb_bob",
                                                  msg.width, msg.height)
        except ValueError as error:
            self.get_logger().warning(f"camera_info ignored: {error}", throttle_duration_sec=5.0)
            return
        self.camera = camera
        self.camera_received.set()

    def warn_without_camera(self) -> None:
        if self.camera is None and self.fallback_intrinsics is None:
            self.get_logger().warning("waiting for camera_info (or set the `intrinsics` parameter); "
                                      f"frames are dropped until then ({self.rejected} so far)")

    def on_reset(self, request, response):
        self.reset_requested, self.reset_to = True, None
        response.success, response.message = True, "the next frame starts a new trajectory at the origin"
        return response

    def on_reset_pose(self, msg: PoseWithCovarianceStamped) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        T = pose_matrix([p.x, p.y, p.z], [q.x, q.y, q.z, q.w])
        if not np.all(np.isfinite(T)):
            self.get_logger().warning("reset_pose ignored: not a finite pose")
            return
        self.reset_requested, self.reset_to = True, T
        self.get_logger().info(f"reset requested at x={p.x:.3f} y={p.y:.3f} z={p.z:.3f}")

    def on_set_parameters(self, parameters) -> SetParametersResult:
        """Validate changes with the config dataclasses; tracking knobs apply from the next reset."""
        try:
            vo_config, config = updated(self.vo_config, parameters), updated(self.config, parameters)
        except (ValueError, TypeError) as error:
            return SetParametersResult(successful=False, reason=str(error))
        if hasattr(self, "tracker") and vo_config is not self.vo_config:
            self.tracker.config = vo_config
            self.get_logger().info("tracking parameters changed: they apply from the next reset")
        self.vo_config, self.config = vo_config, config
        return SetParametersResult(successful=True)

    # --- processing (worker thread) ---------------------------------------------------------------------

    def work(self) -> None:
        while rclpy.ok(context=self.context) and not self.frames.closed:
            msg = self.frames.take()
            if msg is None:
                continue
            try:
                self.process(msg)
            except Exception as error:  # noqa: BLE001  (one bad frame must never stop the node)
                self.rejected += 1
                self.get_logger().error(f"frame dropped: {type(error).__name__}: {error}")

    def process(self, msg) -> None:
        log = self.get_logger()
        stamp = stamp_seconds(msg.header.stamp)
        try:
            image = image_from_compressed(msg) if isinstance(msg, CompressedImage) else image_from_msg(msg)
        except ValueError as error:
            self.rejected += 1
            log.warning(f"frame dropped: {error}", throttle_duration_sec=1.0)
            return
        if image.dtype != np.uint8:
            self.rejected += 1
            log.warning(f"frame dropped: {getattr(msg, 'encoding', 'compressed')} is not a camera image encoding",
                        throttle_duration_sec=1.0)
            return
        camera = self.current_camera(image)
        if camera is None:
            self.rejected += 1
            return
        if self.last_stamp is not None and stamp < self.last_stamp:
            log.warning(f"image stamps went backwards ({self.last_stamp:.3f} -> {stamp:.3f} s, a bag loop?): "
                        "resetting the tracker")
            self.reset_requested = True
        if self.reset_requested:
            self.reset()
        self.tracker.set_camera(camera)
        try:
            result = self.tracker.process(image, stamp, depth=self.depth_for(stamp))
        except ValueError as error:
            self.rejected += 1
            log.warning(f"frame dropped: {error}", throttle_duration_sec=1.0)
            return
        self.last_stamp = stamp
        self.processed += 1
        self.last_result = result
        self.publish(result, msg.header, image)

    def current_camera(self, image: np.ndarray) -> Optional[CameraModel]:
        """The camera for this image: CameraInfo, else the `intrinsics` parameter; None drops the frame."""
        height, width = image.shape[:2]
        if self.camera is None and self.fallback_intrinsics is None:
            # Image and CameraInfo come on separate subscriptions, so the first image can be taken before the
            # CameraInfo sent with it: give that a moment (this is the worker thread, callbacks go on).
            self.camera_received.wait(CAMERA_INFO_GRACE_S)
        camera = self.camera
        if camera is None and self.fallback_intrinsics is not None:
            camera = CameraModel(*self.fallback_intrinsics, width=width, height=height)
        if camera is None:
            self.get_logger().warning("frame dropped: no camera_info yet (or set the `intrinsics` parameter)",
                                      throttle_duration_sec=1.0)
            return None
        if (camera.width, camera.height) != (width, height):
            self.get_logger().warning(f"frame dropped: image is {width}x{height} but the camera_info is "
                                      f"{camera.width}x{camera.height}", throttle_duration_sec=1.0)
            return None
        return camera

    def depth_for(self, stamp: float) -> Optional[np.ndarray]:
        if not self.vo_config.use_depth:
            return None
        for msg in reversed(self.depths):
            if abs(stamp_seconds(msg.header.stamp) - stamp) <= self.config.depth_max_stamp_diff_s:
                try:
                    return depth_to_metres(image_from_msg(msg))
                except ValueError as error:
                    self.get_logger().warning(f"depth ignored: {error}", throttle_duration_sec=1.0)
                    return None
        return None

    def reset(self) -> None:
        T_odom_base = self.reset_to if self.reset_to is not None else np.eye(4)
        # The tracker's world is the camera's odom-aligned frame: T_world_camera = T_bc^-1 T_odom_base T_bc.
        self.tracker.reset(np.linalg.inv(self.T_base_camera) @ T_odom_base @ self.T_base_camera)
        self.reset_requested, self.reset_to = False, None
        self.last_stamp, self.last_pose = None, None
        self.path.poses.clear()
        self.get_logger().info("tracker reset")

    # --- outputs -------------------------------------------------------------------------------------------

    def publish(self, result, header, image: np.ndarray) -> None:
        cfg = self.config
        base_frame = cfg.base_frame or header.frame_id
        T_odom_base = self.T_base_camera @ result.T_world_camera @ np.linalg.inv(self.T_base_camera)
        position, quaternion = T_odom_base[:3, 3], Rotation.from_matrix(T_odom_base[:3, :3]).as_quat()

        odom = Odometry()
        odom.header.stamp, odom.header.frame_id, odom.child_frame_id = header.stamp, cfg.odom_frame, base_frame
        pose = odom.pose.pose
        pose.position.x, pose.position.y, pose.position.z = (float(v) for v in position)
        pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = (float(v) for v in quaternion)
        rotate = np.kron(np.eye(2), self.T_base_camera[:3, :3])  # camera-aligned world → odom axes
        odom.pose.covariance = (rotate @ result.covariance @ rotate.T).ravel().tolist()
        stamp = stamp_seconds(header.stamp)
        if self.last_pose is not None and stamp > self.last_pose[0]:
            dt = stamp - self.last_pose[0]
            motion = np.linalg.inv(self.last_pose[1]) @ T_odom_base  # in the previous base frame
            linear = motion[:3, 3] / dt
            angular = Rotation.from_matrix(motion[:3, :3]).as_rotvec() / dt
            twist = odom.twist.twist
            twist.linear.x, twist.linear.y, twist.linear.z = (float(v) for v in linear)
            twist.angular.x, twist.angular.y, twist.angular.z = (float(v) for v in angular)
        self.last_pose = (stamp, T_odom_base)
        self.odom_pub.publish(odom)

        stamped = PoseStamped(header=odom.header, pose=odom.pose.pose)
        self.path.header.stamp = header.stamp
        self.path.poses.append(stamped)
        del self.path.poses[:-cfg.path_max_length]
        self.path_pub.publish(self.path)

        if self.tf_broadcaster is not None:
            transform = TransformStamped()
            transform.header, transform.child_frame_id = odom.header, base_frame
            t = transform.transform
            t.translation.x, t.translation.y, t.translation.z = (float(v) for v in position)
            t.rotation = odom.pose.pose.orientation
            self.tf_broadcaster.sendTransform(transform)

        self.matches_pub.publish(matches_cloud(result, header))
        if self.matches_image_pub.get_subscription_count() > 0:
            self.matches_image_pub.publish(numpy_to_image(draw_matches(image, result), "rgb8", header.stamp,
                                                          header.frame_id))
        self.status_pub.publish(String(data=json.dumps(self.status(result, stamp))))

    def status(self, result, stamp: float) -> dict:
        now = self.get_clock().now().nanoseconds * 1e-9
        return {"stamp": stamp, "state": result.state.value, "keyframe_id": result.keyframe_id,
                "is_keyframe": result.is_keyframe, "keypoints": len(result.keypoints),
                "matches": len(result.matches), "inliers": int(result.inliers.sum()),
                "layers": result.stop_layer, "num_layers": result.num_layers, "pruned": list(result.pruned),
                "timings_ms": result.timings, "latency_ms": (now - stamp) * 1e3,
                "processed": self.processed, "dropped": self.frames.dropped, "rejected": self.rejected}

    def publish_diagnostics(self) -> None:
        result = self.last_result
        status = DiagnosticStatus(name="vo_node: tracking", hardware_id=self.get_name())
        if result is None:
            status.level, status.message = DiagnosticStatus.WARN, "no frame processed yet"
        else:
            state = result.state.value
            status.level = {"TRACKING": DiagnosticStatus.OK, "LOST": DiagnosticStatus.ERROR}.get(
                state, DiagnosticStatus.WARN)
            status.message = state
        values = {"processed": self.processed, "dropped": self.frames.dropped, "rejected": self.rejected,
                  "camera_info": self.camera is not None}
        if result is not None:
            values.update(keyframe_id=result.keyframe_id, inliers=int(result.inliers.sum()),
                          layers=result.stop_layer, total_ms=round(result.timings.get("total", float("nan")), 1))
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)

    def close(self) -> None:
        self.frames.close()
        self.worker.join(timeout=5.0)


def main(argv=None) -> int:
    rclpy.init(args=argv if argv is not None else sys.argv)
    try:
        node = VONode()
    except ValueError as error:  # an invalid parameter value at start-up
        print(f"vo_node: {error}", file=sys.stderr)
        rclpy.try_shutdown()
        return 2
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.close()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
