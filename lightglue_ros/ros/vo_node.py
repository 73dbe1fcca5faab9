# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`vo_node`: the ROS 2 shell around the tracker (`lightglue_ros.vo.tracker.Tracker`), a managed (lifecycle) node.

Subscribes (relative names, remap them): `image` (sensor_msgs/Image) or `image/compressed` (parameter
`compressed`), `camera_info`, optional `depth` (aligned, 16UC1 mm or 32FC1 m), `reset_pose`
(geometry_msgs/PoseWithCovarianceStamped: restart the trajectory at that base pose).
Publishes: `odom` (nav_msgs/Odometry), `path` (nav_msgs/Path), `matches` (sensor_msgs/PointCloud2, see
MATCH_FIELDS), `matches_image` (overlay, rendered only while subscribed), `status` (std_msgs/String, JSON),
`/diagnostics`, and TF odom_frame → base frame (tf2_ros's broadcaster, else a TFMessage publisher on `/tf`).
Service: `reset` (std_srvs/Trigger).

Lifecycle: `configure` loads and warms the models (a bad weights file fails it with the reason), `activate`
subscribes, `deactivate` unsubscribes, `cleanup` releases the models. With `autostart` (the default) the node
configures and activates itself, so `ros2 run` and plain launch files need no lifecycle manager.

Frames are processed on a worker thread, newest first: a frame that arrives while the tracker is busy replaces the
waiting one, which is counted as dropped. Each image is paired with the CameraInfo (and depth) of its stamp. Every
image the camera sent ends up processed, dropped, rejected (with a reason) or lost (in transport: see
`sync.LossCounter`), and `status` counts each. Times come from the image headers, so sim time and bags work.
"""
from __future__ import annotations

import json
import math
import sys
import threading
import time
import traceback
from collections import Counter, deque
from typing import Optional

import cv2
import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import PoseStamped, PoseWithCovarianceStamped, TransformStamped
from nav_msgs.msg import Odometry, Path
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import ReliabilityPolicy
from scipy.spatial.transform import Rotation
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2, PointField
from std_msgs.msg import String
from std_srvs.srv import Trigger

from lightglue_ros.ros.image_conversion import image_from_compressed, image_from_msg, numpy_to_image
from lightglue_ros.ros.node_config import NodeConfig
from lightglue_ros.ros.parameters import declare_parameters, restart_needed, updated
from lightglue_ros.ros.qos import InputSubscription
from lightglue_ros.ros.sync import LossCounter, StampedBuffer, stamp_ns
from lightglue_ros.ros.tf_broadcast import make_broadcaster
from lightglue_ros.vo.camera import CameraModel
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.scale import depth_to_metres
from lightglue_ros.vo.transforms import transform_from_quaternion
from lightglue_ros.vo.twist import PoseUncertainty, rotate_covariance, twist_covariance

# How long the first image waits for any CameraInfo before it is rejected. A camera that starts publishing the moment
# it sees our subscription can be faster than our side of the discovery: its first reliable samples then come by
# Fast DDS's repair, on the writer's next heartbeat (every 3 s by default).
CAMERA_INFO_GRACE_S = 3.5
LOST_WARN_WINDOW_S = 5.0    # /diagnostics is WARN while images were lost this recently
PAIRING_MISSES = 5          # images without a CameraInfo of their stamp before pairing by stamp is given up
PLAUSIBLE_LATENCY_S = 30.0  # a header stamp further from the node's clock is not a latency (a bag without sim time)
FASTDDS_HINT = ("large images are being lost in transport. With Fast DDS give every process of the graph (the "
                "camera driver too) the profile shipped as config/fastdds_large_images.xml: export "
                "FASTDDS_DEFAULT_PROFILES_FILE=$(ros2 pkg prefix lightglue_ros)/share/lightglue_ros/config/"
                "fastdds_large_images.xml (the package's launch files set it), or publish the images reliably")

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


def draw_matches_to_keyframe(image: np.ndarray, result) -> np.ndarray:
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
    """A one-slot mailbox: put() replaces what is waiting (and says so), take() blocks for the next."""

    def __init__(self):
        self._condition = threading.Condition()
        self._item = None
        self.closed = False

    def put(self, item) -> bool:
        with self._condition:
            replaced = self._item is not None
            self._item = item
            self._condition.notify()
            return replaced

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


class VONode(LifecycleNode):
    """The lifecycle node; frames are tracked on a worker thread, one at a time, the newest first."""

    def __init__(self):
        super().__init__("vo_node")
        self.vo_config = declare_parameters(self, VOConfig)
        self.config = declare_parameters(self, NodeConfig)
        self.frame_config = self.config       # what the worker uses: changes reach it between frames
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.tracker = None
        self.inputs: list = []
        self.image_input: Optional[InputSubscription] = None
        self.worker: Optional[threading.Thread] = None
        self.frames = LatestFrame()
        self.camera_infos = StampedBuffer()
        self.depths = StampedBuffer()
        self.losses = LossCounter()
        self.lock = threading.Lock()          # pending_* are handed from the executor thread to the worker
        self.pending_reset: Optional[tuple] = None  # (T_odom_base or None for the origin, why)
        self.pending_configs: Optional[tuple] = None  # (VOConfig, NodeConfig) to apply before the next frame
        self.camera: Optional[CameraModel] = None
        self.camera_pairing = None            # True: stamps match CameraInfo; False: the camera never does
        self.counts = Counter()               # processed, dropped, received
        self.rejected = Counter()             # reason -> frames
        self.events_lost = 0                  # the middleware's message-lost events on `image`
        self.lost_history: deque = deque()    # (monotonic, lost) at each diagnostics tick
        self.warned = set()                   # one-off warnings already given
        self.logged: dict = {}                # throttled message kind -> when it was last logged
        self.error: Optional[str] = None      # the exception of the last frame, until one succeeds
        self.last_stamp: Optional[float] = None
        self.last_pose = None                 # (stamp, T_odom_base, PoseUncertainty) for the twist
        self.last_result = None
        self.path: deque = deque()            # PoseStamped of the path, newest last; a Path only for subscribers
        self.pairing_misses = 0               # images without a CameraInfo of their stamp, before any had one
        model = "rectified images: intrinsics from CameraInfo P, no distortion" if self.config.rectified_images \
            else "raw images: intrinsics and distortion from CameraInfo K and D"
        self.get_logger().info(f"camera model: {model} (parameter rectified_images)")

    # --- lifecycle ---------------------------------------------------------------------------------------

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Load and warm up the models; the publishers. A failure leaves the node unconfigured, with the reason."""
        log = self.get_logger()
        try:
            from lightglue_ros.models.matching import FeatureMatcher
            from lightglue_ros.vo.tracker import Tracker
            import torch
            if self.vo_config.device.startswith("cuda") and not torch.cuda.is_available():
                log.warning(f"device={self.vo_config.device} but CUDA is not available: running on the CPU")
            matcher = FeatureMatcher.from_config(self.vo_config)
            if self.config.warmup:
                matcher.warmup(self.config.warmup_size)
            self.tracker = Tracker(self.vo_config, matcher=matcher)
            self.frame_config = self.config
        except Exception as error:  # noqa: BLE001  (bad weights, a missing file: the node stays up)
            log.error(f"configure failed: {type(error).__name__}: {error}")
            self.tracker = None
            return TransitionCallbackReturn.FAILURE
        log.info(f"{self.vo_config.features} + LightGlue: {matcher.runtime()}")
        self.odom_pub = self.create_publisher(Odometry, "odom", 10)
        self.path_pub = self.create_publisher(Path, "path", 10)
        self.matches_pub = self.create_publisher(PointCloud2, "matches", 10)
        self.matches_image_pub = self.create_publisher(Image, "matches_image", 10)
        self.status_pub = self.create_publisher(String, "status", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.tf_broadcaster = None
        if self.config.publish_tf:
            self.tf_broadcaster, how = make_broadcaster(self)
            (log.info if self.tf_broadcaster is not None else log.warning)(how)
        self.configured_timers = [self.create_timer(1.0, self.publish_diagnostics),
                                  self.create_timer(2.0, self.warn_without_camera)]
        self.reset_service = self.create_service(Trigger, "reset", self.on_reset)
        self.reset_pose_sub = self.create_subscription(PoseWithCovarianceStamped, "reset_pose", self.on_reset_pose,
                                                       10)
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Subscribe to the inputs (with the QoS their publishers offer, for `qos: auto`) and start the worker."""
        cfg = self.config
        image_type, image_topic = (CompressedImage, "image/compressed") if cfg.compressed else (Image, "image")
        self.image_input = InputSubscription(self, image_type, image_topic, self.on_image, cfg.qos, cfg.queue_depth,
                                             on_lost=self.on_message_lost)
        self.inputs = [self.image_input,
                       InputSubscription(self, CameraInfo, "camera_info", self.on_camera_info, cfg.qos,
                                         cfg.queue_depth),
                       InputSubscription(self, Image, "depth", self.on_depth, cfg.qos, cfg.queue_depth)]
        self.graph_timer = self.create_timer(0.2, self.follow_publishers)
        self.frames = LatestFrame()
        self.worker = threading.Thread(target=self.work, daemon=True)
        self.worker.start()
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.stop_inputs()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.release()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.stop_inputs()
        self.release()
        return super().on_shutdown(state)

    def stop_inputs(self) -> None:
        """Unsubscribe and let the worker finish its frame."""
        for subscription in self.inputs:
            subscription.destroy()
        self.inputs = []
        if getattr(self, "graph_timer", None) is not None:
            self.destroy_timer(self.graph_timer)
            self.graph_timer = None
        self.frames.close()
        if self.worker is not None:
            self.worker.join(timeout=30.0)
            self.worker = None

    def release(self) -> None:
        """Destroy what configure made and free the models (and the GPU memory they held)."""
        if self.tracker is None:
            return
        for timer in self.configured_timers:
            self.destroy_timer(timer)
        for publisher in (self.odom_pub, self.path_pub, self.matches_pub, self.matches_image_pub, self.status_pub,
                          self.diagnostics_pub):
            self.destroy_publisher(publisher)
        self.destroy_service(self.reset_service)
        self.destroy_subscription(self.reset_pose_sub)
        device = self.tracker.matcher.device
        self.tracker = self.tf_broadcaster = self.last_result = None
        if device.type == "cuda":
            import torch
            torch.cuda.empty_cache()
        self.get_logger().info("models released")

    # --- inputs (executor thread) -----------------------------------------------------------------------

    def follow_publishers(self) -> None:
        for subscription in self.inputs:
            subscription.update()

    def on_image(self, msg) -> None:
        self.counts["received"] += 1
        self.losses.arrived(stamp_ns(msg.header.stamp))
        if self.frames.put((msg, time.monotonic())):
            self.counts["dropped"] += 1

    def on_camera_info(self, msg: CameraInfo) -> None:
        stamp = stamp_ns(msg.header.stamp)
        self.camera_infos.put(stamp, msg)
        if self.image_input.publisher_count() > 0:
            self.losses.expect(stamp)

    def on_depth(self, msg: Image) -> None:
        self.depths.put(stamp_ns(msg.header.stamp), msg)

    def on_message_lost(self, count: int) -> None:
        self.events_lost += count

    def warn_without_camera(self) -> None:
        if self.camera_infos.newest() is None and not any(self.config.intrinsics) and self.counts["received"]:
            self.get_logger().warning("waiting for camera_info (or set the `intrinsics` parameter); frames are "
                                      f"rejected until then ({self.rejected['no camera_info']} so far)")

    def on_reset(self, request, response):
        self.pending_reset = (None, "reset service")
        response.success, response.message = True, "the next frame starts a new trajectory at the origin"
        return response

    def on_reset_pose(self, msg: PoseWithCovarianceStamped) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        try:
            T = transform_from_quaternion([p.x, p.y, p.z], [q.x, q.y, q.z, q.w])
        except ValueError as error:  # a zero quaternion
            self.get_logger().warning(f"reset_pose ignored: {error}")
            return
        if not np.all(np.isfinite(T)):
            self.get_logger().warning("reset_pose ignored: not a finite pose")
            return
        self.pending_reset = (T, f"reset_pose x={p.x:.3f} y={p.y:.3f} z={p.z:.3f}")  # one store: atomic
        self.get_logger().info(f"reset requested at x={p.x:.3f} y={p.y:.3f} z={p.z:.3f}")

    def on_set_parameters(self, parameters) -> SetParametersResult:
        """Validate with the config dataclasses.

        Once the models are built, knobs marked `restart` are refused; the others apply between frames (the worker takes
        them before its next frame).
        """
        try:
            vo_config, config = updated(self.vo_config, parameters), updated(self.config, parameters)
        except (ValueError, TypeError) as error:
            return SetParametersResult(successful=False, reason=str(error))
        if self.tracker is not None:
            frozen = restart_needed(self.vo_config, vo_config) + restart_needed(self.config, config)
            if frozen:
                return SetParametersResult(successful=False, reason=f"{', '.join(frozen)}: needs a restart "
                                           "(or lifecycle cleanup and configure)")
        with self.lock:
            self.vo_config, self.config = vo_config, config
            self.pending_configs = (vo_config, config)
        return SetParametersResult(successful=True)

    # --- processing (worker thread) ---------------------------------------------------------------------

    def work(self) -> None:
        frames = self.frames
        while rclpy.ok(context=self.context) and not frames.closed:
            item = frames.take()
            if item is None:
                continue
            msg, received = item
            try:
                self.process(msg, received)
                self.error = None
            except Exception as error:  # noqa: BLE001  (one bad frame must never stop the node)
                self.error = f"{type(error).__name__}: {error}"
                self.reject(f"error: {type(error).__name__}", f"{self.error}\n{traceback.format_exc()}",
                            level="error", throttle=5.0)

    def reject(self, reason: str, message: str, level: str = "warning", throttle: float = 1.0) -> None:
        self.rejected[reason] += 1
        self.log_throttled(level, f"frame rejected ({reason}): {message}", throttle)

    def log_throttled(self, level: str, message: str, period: float = 1.0) -> None:
        """Log at most one line per `period` seconds for each message (its first line).

        Per message, so that a camera sending one kind of bad frame at 30 Hz does not hide a different kind.
        """
        kind = message.split("\n")[0][:160]
        now = time.monotonic()
        if now - self.logged.get(kind, -math.inf) >= period:
            self.logged[kind] = now
            getattr(self.get_logger(), level)(message)

    def process(self, msg, received: float) -> None:
        self.apply_pending()
        stamp = stamp_seconds(msg.header.stamp)
        try:
            image = image_from_compressed(msg) if isinstance(msg, CompressedImage) else image_from_msg(msg)
        except ValueError as error:
            return self.reject("bad image", str(error))
        if image.dtype != np.uint8:
            return self.reject("bad image", f"{getattr(msg, 'encoding', 'compressed')} is not a camera image "
                                            "encoding")
        try:
            camera = self.camera_for(msg.header.stamp, image)
        except ValueError as error:
            return self.reject("camera_info", str(error))
        if camera is None:
            return self.reject("no camera_info", "no camera_info yet (or set the `intrinsics` parameter)")
        if self.last_stamp is not None and stamp < self.last_stamp:
            self.get_logger().warning(f"image stamps went backwards ({self.last_stamp:.3f} -> {stamp:.3f} s, a bag "
                                      "loop?): resetting the tracker")
            self.reset(None)
        if self.camera is not None and camera.parameters != self.camera.parameters:
            # The keyframe was seen through the old camera: start a new one at the current pose.
            self.get_logger().info(f"camera changed to {camera}: new keyframe at the current pose")
            self.tracker.reset(self.tracker.T_world_camera)
        self.camera = camera
        self.tracker.set_camera(camera)
        try:
            result = self.tracker.process(image, stamp, depth=self.depth_for(msg.header.stamp, image.shape[:2]))
        except ValueError as error:
            return self.reject("tracker", str(error))
        self.last_stamp = stamp
        self.counts["processed"] += 1
        self.last_result = result
        self.publish(result, msg.header, image, received)

    def apply_pending(self) -> None:
        with self.lock:
            configs, self.pending_configs = self.pending_configs, None
            reset, self.pending_reset = self.pending_reset, None
        if configs is not None:
            self.tracker.update_config(configs[0])
            self.frame_config = configs[1]
            self.get_logger().info("parameters applied")
        if reset is not None:
            self.reset(reset[0])

    def camera_for(self, stamp, image: np.ndarray) -> Optional[CameraModel]:
        """The camera model of an image; None when there is none.

        From the CameraInfo with the image's stamp (waiting `sync_wait_s` for it), else the newest one when the
        camera never stamps them alike, else the `intrinsics` parameter.
        """
        cfg = self.frame_config
        info = self.camera_infos.wait_for(stamp_ns(stamp), timeout=cfg.sync_wait_s if self.camera_pairing
                                          is not False else 0.0)
        if info is not None:
            self.camera_pairing = True
        else:
            info = self.camera_infos.newest()
            if info is None and not any(cfg.intrinsics) and self.counts["processed"] == 0:
                # Image and CameraInfo come on separate subscriptions: give the first CameraInfo a moment.
                info = self.camera_infos.wait_for(stamp_ns(stamp), tolerance_ns=1 << 62,
                                                  timeout=CAMERA_INFO_GRACE_S)
            if info is not None and self.camera_pairing is None:
                self.pairing_misses += 1
                if self.pairing_misses >= PAIRING_MISSES:
                    self.camera_pairing = False
                    self.warn_once("pairing", "camera_info stamps never equal the image stamps: each image now "
                                              "takes the newest camera_info")
        height, width = image.shape[:2]
        if info is None:
            if not any(cfg.intrinsics):
                return None
            return CameraModel(*cfg.intrinsics, width=width, height=height)
        try:
            camera = self.camera_from_info(info)
        except ValueError as error:
            if self.camera is None or (self.camera.width, self.camera.height) != (width, height):
                raise
            self.log_throttled("warning", f"camera_info ignored ({error}): the last good one stays in use")
            return self.camera
        if (camera.width, camera.height) != (width, height):
            raise ValueError(f"image is {width}x{height} but the camera_info is {camera.width}x{camera.height}")
        return camera

    def camera_from_info(self, info: CameraInfo) -> CameraModel:
        rectified = self.frame_config.rectified_images
        camera = CameraModel.from_camera_info(
            info.k, info.d, info.distortion_model or "plumb_bob", info.width, info.height, P=info.p,
            rectified=rectified, binning=(info.binning_x, info.binning_y),
            roi=(info.roi.x_offset, info.roi.y_offset, info.roi.width, info.roi.height))
        topic = self.image_input.topic
        if not rectified and any(info.d) and "rect" in topic.rsplit("/", 1)[-1]:
            self.warn_once("rectified", f"{topic} looks rectified but rectified_images is false: its CameraInfo's "
                                        "distortion would be applied a second time; set rectified_images true")
        elif rectified and any(info.d) and "raw" in topic.rsplit("/", 1)[-1]:
            self.warn_once("rectified", f"{topic} looks raw but rectified_images is true: the lens distortion in "
                                        "its CameraInfo is ignored; set rectified_images false")
        return camera

    def depth_for(self, stamp, shape) -> Optional[np.ndarray]:
        """The aligned depth image (metres) with the frame's stamp, if one comes within `sync_wait_s`."""
        cfg = self.frame_config
        if not self.tracker.config.use_depth or self.inputs[2].publisher_count() == 0:
            return None
        msg = self.depths.wait_for(stamp_ns(stamp), tolerance_ns=int(cfg.depth_max_stamp_diff_s * 1e9),
                                   timeout=cfg.sync_wait_s)
        if msg is None:
            return None
        try:
            depth = depth_to_metres(image_from_msg(msg))
            if depth.shape != tuple(shape):
                raise ValueError(f"it is {depth.shape[1]}x{depth.shape[0]}, the image {shape[1]}x{shape[0]}")
            return depth
        except ValueError as error:
            self.log_throttled("warning", f"depth ignored: {error}")
            return None

    def reset(self, T_odom_base: Optional[np.ndarray]) -> None:
        T_odom_base = np.eye(4) if T_odom_base is None else T_odom_base
        T_base_camera = self.T_base_camera
        # The tracker's world is the camera's odom-aligned frame: T_world_camera = T_bc^-1 T_odom_base T_bc.
        self.tracker.reset(np.linalg.inv(T_base_camera) @ T_odom_base @ T_base_camera)
        self.last_stamp, self.last_pose = None, None
        self.path.clear()
        self.get_logger().info("tracker reset")

    def warn_once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.get_logger().warning(message)

    @property
    def T_base_camera(self) -> np.ndarray:
        pose = self.frame_config.base_from_camera
        return transform_from_quaternion(pose[:3], pose[3:])

    # --- outputs -------------------------------------------------------------------------------------------

    def publish(self, result, header, image: np.ndarray, received: float) -> None:
        cfg = self.frame_config
        base_frame = cfg.base_frame or header.frame_id
        T_base_camera = self.T_base_camera
        T_odom_base = T_base_camera @ result.T_world_camera @ np.linalg.inv(T_base_camera)
        position, quaternion = T_odom_base[:3, 3], Rotation.from_matrix(T_odom_base[:3, :3]).as_quat()

        odom = Odometry()
        odom.header.stamp, odom.header.frame_id, odom.child_frame_id = header.stamp, cfg.odom_frame, base_frame
        pose = odom.pose.pose
        pose.position.x, pose.position.y, pose.position.z = (float(v) for v in position)
        pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = (float(v) for v in quaternion)
        # camera-aligned world → odom axes
        odom.pose.covariance = rotate_covariance(result.covariance, T_base_camera[:3, :3]).ravel().tolist()
        stamp = stamp_seconds(header.stamp)
        uncertainty = PoseUncertainty.of(result)
        previous = self.last_pose[2] if self.last_pose is not None else None
        if self.last_pose is not None and stamp > self.last_pose[0]:
            dt = stamp - self.last_pose[0]
            motion = np.linalg.inv(self.last_pose[1]) @ T_odom_base  # in the previous base frame
            linear = motion[:3, 3] / dt
            angular = Rotation.from_matrix(motion[:3, :3]).as_rotvec() / dt
            twist = odom.twist.twist
            twist.linear.x, twist.linear.y, twist.linear.z = (float(v) for v in linear)
            twist.angular.x, twist.angular.y, twist.angular.z = (float(v) for v in angular)
        # The twist is in the child (base) frame (REP-105): camera-aligned world -> odom -> base axes.
        R_base_world = T_odom_base[:3, :3].T @ T_base_camera[:3, :3]
        twist_cov = rotate_covariance(twist_covariance(previous, uncertainty), R_base_world)
        odom.twist.covariance = twist_cov.ravel().tolist()
        self.last_pose = (stamp, T_odom_base, uncertainty)
        self.odom_pub.publish(odom)

        self.path.append(PoseStamped(header=odom.header, pose=odom.pose.pose))
        while len(self.path) > cfg.path_max_length:  # it may be lowered at run time
            self.path.popleft()
        if self.path_pub.get_subscription_count() > 0:  # 2000 poses: ~10 ms and 160 KB a frame to serialise
            path = Path(poses=list(self.path))
            path.header.stamp, path.header.frame_id = header.stamp, cfg.odom_frame
            self.path_pub.publish(path)

        if self.tf_broadcaster is not None:
            transform = TransformStamped()
            transform.header, transform.child_frame_id = odom.header, base_frame
            t = transform.transform
            t.translation.x, t.translation.y, t.translation.z = (float(v) for v in position)
            t.rotation = odom.pose.pose.orientation
            self.tf_broadcaster.sendTransform(transform)

        self.matches_pub.publish(matches_cloud(result, header))
        if self.matches_image_pub.get_subscription_count() > 0:
            self.matches_image_pub.publish(numpy_to_image(draw_matches_to_keyframe(image, result), "rgb8",
                                                          header.stamp, header.frame_id))
        self.status_pub.publish(String(data=json.dumps(self.status(result, stamp, received))))

    def missing(self) -> tuple:
        """(dropped, lost): images that never reached the node.

        A reliable subscription loses nothing in transport: what its CameraInfo tells is missing overflowed the
        subscription's history while the node was busy, a drop of stale frames. Otherwise they were lost in transport,
        as are the ones the middleware reports (the two see the same losses, so they are not added).
        """
        profile = self.image_input.profile if self.image_input is not None else None
        reliable = profile is not None and profile.reliability == ReliabilityPolicy.RELIABLE
        stale = self.losses.lost if reliable else 0
        lost = max(self.losses.lost - stale, self.events_lost)
        if lost:
            self.warn_once("lost", f"{lost} image(s) lost in transport: {FASTDDS_HINT}")
        return self.counts["dropped"] + stale, lost

    def status(self, result, stamp: float, received: float) -> dict:
        processing_ms = (time.monotonic() - received) * 1e3
        age_s = self.get_clock().now().nanoseconds * 1e-9 - stamp
        latency = {"latency_ms": age_s * 1e3, "latency_from": "stamp"} if 0 <= age_s < PLAUSIBLE_LATENCY_S else \
            {"latency_ms": processing_ms, "latency_from": "arrival"}  # a stamp from another clock (bag, no sim time)
        return {"stamp": stamp, "state": result.state.value, "keyframe_id": result.keyframe_id,
                "is_keyframe": result.is_keyframe, "keypoints": len(result.keypoints),
                "matches": len(result.matches), "inliers": int(result.inliers.sum()),
                "layers": result.stop_layer, "num_layers": result.num_layers, "pruned": list(result.pruned),
                "timings_ms": result.timings, **latency, "processing_ms": processing_ms,
                **self.accounting()}

    def accounting(self) -> dict:
        dropped, lost = self.missing()
        return {"received": self.counts["received"], "processed": self.counts["processed"],
                "dropped": dropped, "rejected": sum(self.rejected.values()),
                "rejected_reasons": dict(self.rejected), "lost": lost,
                "qos": {s.topic: s.profile.reliability.name.lower() if s.profile else None for s in self.inputs}}

    def publish_diagnostics(self) -> None:
        result, now = self.last_result, time.monotonic()
        values = self.accounting()
        self.lost_history.append((now, values["lost"]))
        while self.lost_history[0][0] < now - LOST_WARN_WINDOW_S:
            self.lost_history.popleft()
        status = DiagnosticStatus(name="vo_node: tracking", hardware_id=self.get_name())
        if self.error is not None:
            status.level, status.message = DiagnosticStatus.ERROR, f"frames fail: {self.error}"
        elif result is None:
            status.level, status.message = DiagnosticStatus.WARN, "no frame processed yet"
        else:
            state = result.state.value
            status.level = {"TRACKING": DiagnosticStatus.OK, "LOST": DiagnosticStatus.ERROR}.get(
                state, DiagnosticStatus.WARN)
            status.message = state
        if values["lost"] > self.lost_history[0][1] and status.level < DiagnosticStatus.WARN:
            status.level, status.message = DiagnosticStatus.WARN, f"{status.message}; images lost in transport"
        values["camera_info"] = self.camera is not None
        if result is not None:
            values.update(keyframe_id=result.keyframe_id, inliers=int(result.inliers.sum()),
                          layers=result.stop_layer, total_ms=round(result.timings.get("total", float("nan")), 1))
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(array)


def main(argv=None) -> int:
    rclpy.init(args=argv if argv is not None else sys.argv)
    try:
        node = VONode()
    except ValueError as error:  # an invalid parameter value at start-up
        print(f"vo_node: {error}", file=sys.stderr)
        rclpy.try_shutdown()
        return 2
    if node.config.autostart:
        node.trigger_configure()
        if node.tracker is not None:
            node.trigger_activate()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.stop_inputs()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
