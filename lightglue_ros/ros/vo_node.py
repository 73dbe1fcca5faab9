# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`vo_node`: the ROS 2 shell around the tracker (`lightglue_ros.vo.tracker.Tracker`), a managed (lifecycle) node.

Subscribes (relative names, remap them): `image` (sensor_msgs/Image) or `image/compressed` (parameter
`compressed`), `camera_info`, optional `depth` (aligned, 16UC1 mm or 32FC1 m), optional `wheel_odom` (nav_msgs/Odometry:
metric monocular scale, `wheel_input.py`), `reset_pose` (geometry_msgs/PoseWithCovarianceStamped: restart the
trajectory at that base pose).
Publishes: `odom` (nav_msgs/Odometry), `path` (nav_msgs/Path), `matches` (sensor_msgs/PointCloud2, see
MATCH_FIELDS), `matches_image` (overlay, rendered only while subscribed), `status` (std_msgs/String, JSON),
`/diagnostics`, and TF odom_frame → base frame (tf2_ros's broadcaster, else a TFMessage publisher on `/tf`).
Service: `reset` (std_srvs/Trigger). With `slam`: TF map_frame → odom_frame, `map_pose`, services `save_map` and
`load_map` (`slam_services.SlamSide`).

Lifecycle: `configure` loads and warms the models (a bad weights file fails it with the reason), `activate`
subscribes, `deactivate` unsubscribes, `cleanup` releases the models. With `autostart` (the default) the node
configures and activates itself, so `ros2 run` and plain launch files need no lifecycle manager.

Each image waits (on the executor thread, `camera_input.CameraInput`) for the CameraInfo and depth of its stamp, then
goes to the worker thread, newest first: a frame paired while the tracker is busy replaces the waiting one, which is
counted as dropped. One worker for the node's life: deactivate stops the inputs and lets a frame in progress finish
(and publish); cleanup waits for it. Every image the camera sent ends up processed, dropped, rejected (with a reason)
or lost (in transport: see `sync.LossCounter`), and `status` counts each. Times come from the image headers, so sim
time and bags work; image stamps going backwards restart the tracking at the current pose (`on_time_jump`).
"""
from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import Optional

import numpy as np
import rclpy
from geometry_msgs.msg import PoseWithCovarianceStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_srvs.srv import Trigger

from lightglue_ros.ros.accounting import FrameAccounting
from lightglue_ros.ros.camera_input import Arrival, CameraInput, LatestFrame
from lightglue_ros.ros.frames import MountingSource, T_world_camera_of, applied_mounting, make_listener
from lightglue_ros.ros.image_conversion import image_from_compressed, image_from_msg
from lightglue_ros.ros.node_config import NodeConfig
from lightglue_ros.ros.node_log import NodeLog
from lightglue_ros.ros.odometry_output import OdometryOutput
from lightglue_ros.ros.parameters import declare_parameters, restart_needed, updated
from lightglue_ros.ros.qos import InputSubscription
from lightglue_ros.ros.slam_services import SlamSide
from lightglue_ros.ros.sync import stamp_ns, stamp_seconds
from lightglue_ros.ros.wheel_input import WheelInput
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.transforms import transform_from_quaternion
from lightglue_ros.vo.wheel_odometry import WheelConfig

PLAUSIBLE_LATENCY_S = 30.0  # a header stamp further from the node's clock is not a latency (a bag without sim time)
CLOCK_JUMP_WAIT_S = 1.0     # how long stamps going back wait for /clock to go back too (its own subscription)
PAIRING_TICK_S = 0.02       # how often images past their pairing deadline are let go


class VONode(LifecycleNode):
    """The lifecycle node; frames are tracked on a worker thread, one at a time, the newest first."""

    def __init__(self):
        super().__init__("vo_node")
        self.vo_config = declare_parameters(self, VOConfig)
        self.config = declare_parameters(self, NodeConfig)
        self.wheel_config = declare_parameters(self, WheelConfig)
        self.wheel_input: Optional[WheelInput] = None
        self.scale: Optional[str] = None      # the units of the odometry published last (FrameResult.scale)
        self.frame_config = self.config       # what the worker uses: changes reach it between frames
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.log = NodeLog(self.get_logger())
        self.tracker = None
        self.output: Optional[OdometryOutput] = None
        self.inputs: list = []
        self.image_input: Optional[InputSubscription] = None
        self.worker: Optional[threading.Thread] = None  # started at the first activate, for the node's life
        self.processing = threading.Lock()    # held by the worker for a frame; cleanup waits on it
        self.steady_clock = Clock(clock_type=ClockType.STEADY_TIME)  # pairing deadlines: not paused with /clock
        self.frames = LatestFrame()
        self.accounting = FrameAccounting(self.log)
        self.camera_input = CameraInput(self.log, on_drop=self.accounting.drop)
        self.lock = threading.Lock()          # pending_* are handed from the executor thread to the worker
        self.pending_reset: Optional[tuple] = None  # (T_odom_base or None for the origin, why)
        self.pending_configs: Optional[tuple] = None  # (VOConfig, NodeConfig) to apply before the next frame
        self.error: Optional[str] = None      # the exception of the last frame, until one succeeds
        self.last_stamp: Optional[float] = None
        self.last_clock_ns: Optional[int] = None  # the node's clock at the last frame: did a replay start over?
        self.last_result = None
        self.mounting: Optional[MountingSource] = None
        self.image_frame: Optional[str] = None  # the newest image's frame_id: the mounting is of that frame
        self.slam: Optional[SlamSide] = None  # the SLAM backend's side (parameter `slam`), made at configure
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
            self.slam = SlamSide(self) if self.config.slam else None  # a bad map_file fails configure
        except Exception as error:  # noqa: BLE001  (bad weights, a missing file: the node stays up)
            log.error(f"configure failed: {type(error).__name__}: {error}")
            self.tracker = None
            if self.slam is not None:
                self.slam.destroy()
                self.slam = None
            return TransitionCallbackReturn.FAILURE
        log.info(f"{self.vo_config.features} + LightGlue: {matcher.runtime()}")
        self.output = OdometryOutput(self, self.config.publish_tf)
        self.mounting = MountingSource(*make_listener(self), log)
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
        self.depth_input = InputSubscription(self, Image, "depth", self.on_depth, cfg.qos, cfg.queue_depth)
        self.inputs = [self.image_input,
                       InputSubscription(self, CameraInfo, "camera_info", self.on_camera_info, cfg.qos,
                                         cfg.queue_depth),
                       self.depth_input]
        self.wheel_input = WheelInput(self, self.log, self.wheel_config, cfg.qos)
        self.inputs.append(self.wheel_input.subscription)
        # Wall time: under sim time a ROS timer waits for /clock, and the player's images come with its first tick.
        self.input_timers = [self.create_timer(0.2, self.follow_publishers, clock=self.steady_clock),
                             self.create_timer(PAIRING_TICK_S, self.release_due, clock=self.steady_clock)]
        self.mounting.start(cfg.mounting_wait_s)
        if self.slam is not None:
            self.slam.start()
        if self.worker is None:  # a frame still in progress from before the last deactivate goes on in this one
            self.worker = threading.Thread(target=self.work, name="vo_worker", daemon=True)
            self.worker.start()
            self.get_logger().info("frame worker started")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.stop_inputs()
        if self.slam is not None:
            self.slam.stop()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.release()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.stop_inputs()
        self.stop_worker()
        self.release()
        return super().on_shutdown(state)

    def stop_inputs(self) -> None:
        """Unsubscribe; the images waiting for pairing or for the worker are dropped. A frame in progress finishes."""
        for subscription in self.inputs:
            subscription.destroy()
        self.inputs = []
        for timer in getattr(self, "input_timers", []):
            self.destroy_timer(timer)
        self.input_timers = []
        self.camera_input.clear()
        if self.frames.clear():
            self.accounting.drop()

    def stop_worker(self, timeout: float = 30.0) -> None:
        """At exit: the worker ends after its frame."""
        self.frames.close()
        if self.worker is not None:
            self.worker.join(timeout=timeout)

    def release(self) -> None:
        """Destroy what configure made and free the models (and the GPU memory they held)."""
        if self.tracker is None:
            return
        if not self.processing.acquire(blocking=False):
            self.get_logger().info("cleanup waits for the frame in progress")
            self.processing.acquire()
        try:
            self.release_models()
        finally:
            self.processing.release()

    def release_models(self) -> None:
        for timer in self.configured_timers:
            self.destroy_timer(timer)
        self.output.destroy()
        self.mounting.destroy()
        self.destroy_service(self.reset_service)
        self.destroy_subscription(self.reset_pose_sub)
        if self.slam is not None:
            self.slam.destroy()
            self.slam = None
        device = self.tracker.matcher.device
        self.tracker = self.output = self.last_result = None
        if device.type == "cuda":
            import torch
            torch.cuda.empty_cache()
        self.get_logger().info("models released")

    # --- inputs (executor thread) -----------------------------------------------------------------------

    def follow_publishers(self) -> None:
        for subscription in self.inputs:
            subscription.update()

    def on_image(self, msg) -> None:
        self.accounting.counts["received"] += 1
        self.image_frame = msg.header.frame_id
        self.accounting.losses.arrived(stamp_ns(msg.header.stamp))
        wants_depth = self.vo_config.use_depth and self.depth_input.publisher_count() > 0
        self.hand_over(self.camera_input.on_image(msg, time.monotonic(), self.config, wants_depth))

    def on_camera_info(self, msg: CameraInfo) -> None:
        stamp, arrivals = self.camera_input.on_camera_info(msg, time.monotonic())
        if self.image_input.publisher_count() > 0:
            self.accounting.losses.expect(stamp)
        self.hand_over(arrivals)

    def on_depth(self, msg: Image) -> None:
        self.hand_over(self.camera_input.on_depth(msg, time.monotonic()))

    def release_due(self) -> None:
        self.hand_over(self.camera_input.due(time.monotonic()))

    def hand_over(self, arrivals: list) -> None:
        """Paired images to the worker, in arrival order: each replaces the one still waiting (dropped)."""
        for arrival in arrivals:
            if self.frames.put(arrival):
                self.accounting.drop()

    def on_message_lost(self, count: int) -> None:
        self.accounting.events_lost += count

    def warn_without_camera(self) -> None:
        if self.camera_input.camera_infos.newest_stamp is None and not any(self.config.intrinsics) \
                and self.accounting.counts["received"]:
            self.get_logger().warning("waiting for camera_info (or set the `intrinsics` parameter); frames are "
                                      f"rejected until then ({self.accounting.rejected['no camera_info']} so far)")

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
            wheel_config = updated(self.wheel_config, parameters)
        except (ValueError, TypeError) as error:
            return SetParametersResult(successful=False, reason=str(error))
        if self.tracker is not None:
            frozen = restart_needed(self.vo_config, vo_config) + restart_needed(self.config, config)
            if frozen:
                return SetParametersResult(successful=False, reason=f"{', '.join(frozen)}: needs a restart "
                                           "(or lifecycle cleanup and configure)")
        with self.lock:
            self.vo_config, self.config, self.wheel_config = vo_config, config, wheel_config
            if self.wheel_input is not None:
                self.wheel_input.set_config(wheel_config)
            self.pending_configs = (vo_config, config)
        return SetParametersResult(successful=True)

    # --- processing (worker thread) ---------------------------------------------------------------------

    def work(self) -> None:
        while rclpy.ok(context=self.context) and not self.frames.closed:
            arrival = self.frames.take()
            if arrival is None:
                continue
            with self.processing:
                if self.tracker is None:  # cleaned up since it was handed over
                    self.accounting.drop()
                    continue
                try:
                    self.process(arrival)
                    self.error = None
                except Exception as error:  # noqa: BLE001  (one bad frame must never stop the node)
                    if not rclpy.ok(context=self.context):  # it published as SIGINT/SIGTERM shut down
                        break
                    self.error = f"{type(error).__name__}: {error}"
                    self.accounting.reject(f"error: {type(error).__name__}",
                                           f"{self.error}\n{traceback.format_exc()}", level="error", throttle=5.0)

    def process(self, arrival: Arrival) -> None:
        self.apply_pending()
        reject, cfg, msg = self.accounting.reject, self.frame_config, arrival.msg
        stamp = stamp_seconds(msg.header.stamp)
        try:
            image = image_from_compressed(msg) if isinstance(msg, CompressedImage) else image_from_msg(msg)
        except ValueError as error:
            return reject("bad image", str(error))
        if image.dtype != np.uint8:
            return reject("bad image", f"{getattr(msg, 'encoding', 'compressed')} is not a camera image encoding")
        previous_camera = self.camera_input.camera
        try:
            camera = self.camera_input.camera_for(arrival, image, cfg, self.image_input.topic)
        except ValueError as error:
            return reject("camera_info", str(error))
        if camera is None:
            return reject("no camera_info", "no camera_info yet (or set the `intrinsics` parameter)")
        if self.last_stamp is not None and stamp < self.last_stamp:
            self.stamps_went_back(stamp)
        if previous_camera is not None and camera.parameters != previous_camera.parameters:
            # The keyframe was seen through the old camera: start a new one at the current pose.
            self.get_logger().info(f"camera changed to {camera}: new keyframe at the current pose")
            self.tracker.restart()
        self.camera_input.camera = camera
        self.tracker.set_camera(camera)
        depth = self.camera_input.depth_for(arrival, image.shape[:2], self.depth_input.topic) \
            if self.tracker.config.use_depth else None
        wheels, T_base_camera = self.wheel_input, self.T_base_camera
        prior = wheels.prior(stamp, T_base_camera, cfg.sync_wait_s) if wheels is not None else None
        try:
            result = self.tracker.process(image, stamp, depth=depth, translation_prior=prior)
        except ValueError as error:
            return reject("tracker", str(error))
        if wheels is not None:
            wheels.took(result, stamp)
        self.last_stamp, self.last_clock_ns = stamp, self.get_clock().now().nanoseconds
        self.accounting.frame_done(arrival.paired, depth is not None)
        self.last_result = result
        if self.slam is not None:
            # Metric when depth comes (the first frame's may not be paired yet): decided once, at the first frame.
            self.slam.observe(result, metric=depth is not None or (self.tracker.config.use_depth and
                                                                   self.depth_input.publisher_count() > 0))
        mounting = self.mounting_for(result, T_base_camera)
        self.output.publish(result, msg.header, image, cfg, mounting, self.status(result, stamp, arrival))
        if self.slam is not None:   # map -> odom through odom's own anchor (the mounting the odometry used)
            T_odom_world = self.output.T_odom_world(result.T_world_camera, mounting)
            self.slam.publish(msg.header, T_odom_world, self.output.last_pose[1], cfg, self.output.tf_broadcaster)

    def mounting_for(self, result, T_base_camera: np.ndarray) -> np.ndarray:
        """The mounting the odometry is expressed with: its translation (metres) only once the scale is metric.

        Says so in the log when the scale's units change.
        """
        if result.scale != self.scale:
            self.scale = result.scale
            lever = np.linalg.norm(T_base_camera[:3, 3])
            if result.metric:
                self.get_logger().info(f"odometry scale {result.scale}" + (
                    f": the mounting's translation ({lever:.3f} m) is applied" if lever > 0 else ""))
            else:
                self.get_logger().warning(
                    f"odometry scale {result.scale}: monocular without wheel_odom or depth, the odometry is the "
                    "camera's motion in the base frame's axes" + (
                        f", the mounting's translation ({lever:.3f} m) is not applied until the scale is metric"
                        if lever > 0 else ""))
        return applied_mounting(T_base_camera, result.metric)

    def stamps_went_back(self, stamp: float) -> None:
        """Image stamps went backwards: odom stays continuous (REP-105), unless a replay started over."""
        jump, mode = f"image stamps went backwards ({self.last_stamp:.3f} -> {stamp:.3f} s)", \
            self.frame_config.on_time_jump
        if mode == "reset" or (mode == "auto" and self.clock_went_back()):
            why = " and so did the clock: a replay started over (a bag loop)" if mode == "auto" else ""
            self.get_logger().warning(f"{jump}{why}: new trajectory at the origin (on_time_jump: {mode})")
            self.reset(None)
        else:
            self.get_logger().warning(f"{jump}, a driver restart or a clock reset: tracking restarts at the current "
                                      f"pose, odom stays continuous (on_time_jump: {mode})")
            self.tracker.restart()

    def clock_went_back(self) -> bool:
        """Whether the node's clock (sim time: /clock) went back since the last frame; it may come just after."""
        clock = self.get_clock()
        if self.last_clock_ns is None or not getattr(clock, "ros_time_is_active", False):
            return False
        deadline = time.monotonic() + CLOCK_JUMP_WAIT_S
        while clock.now().nanoseconds >= self.last_clock_ns:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

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

    def reset(self, T_odom_base: Optional[np.ndarray]) -> None:
        T_odom_base = np.eye(4) if T_odom_base is None else T_odom_base
        T_base_camera = self.T_base_camera
        self.tracker.reset(T_world_camera_of(T_odom_base, T_base_camera))
        self.last_stamp = self.last_clock_ns = None
        if self.wheel_input is not None:
            self.wheel_input.restart()
        self.output.restart(T_base_camera)
        if self.slam is not None:
            self.slam.restart()
        self.get_logger().info("tracker reset")

    @property
    def T_base_camera(self) -> np.ndarray:
        """The camera's mounting on the base (base_from_camera, TF, or the REP-103 fallback: frames.py)."""
        return self.mounting.T_base_camera(self.frame_config, self.image_frame)

    # --- status --------------------------------------------------------------------------------------------

    def status(self, result, stamp: float, arrival: Arrival) -> dict:
        processing_ms = (time.monotonic() - arrival.received) * 1e3
        age_s = self.get_clock().now().nanoseconds * 1e-9 - stamp
        latency = {"latency_ms": age_s * 1e3, "latency_from": "stamp"} if 0 <= age_s < PLAUSIBLE_LATENCY_S else \
            {"latency_ms": processing_ms, "latency_from": "arrival"}  # a stamp from another clock (bag, no sim time)
        return {"stamp": stamp, "state": result.state.value, "keyframe_id": result.keyframe_id,
                "is_keyframe": result.is_keyframe, "keypoints": len(result.keypoints),
                "matches": len(result.matches), "inliers": int(result.inliers.sum()),
                "layers": result.stop_layer, "num_layers": result.num_layers, "pruned": list(result.pruned),
                "timings_ms": result.timings, **latency, "processing_ms": processing_ms,
                "pairing_ms": (arrival.released - arrival.received) * 1e3,
                "scale": result.scale, "mounting_translation_applied": bool(result.metric),
                "wheel_odom": self.wheel_input.summary() if self.wheel_input is not None else None,
                **self.accounting.summary(self.image_input, self.inputs),
                **({"slam": self.slam.status()} if self.slam is not None else {})}

    def publish_diagnostics(self) -> None:
        values = self.accounting.summary(self.image_input, self.inputs)
        values["camera_info"] = self.camera_input.camera is not None
        array = self.accounting.diagnostics(values, self.last_result, self.error, self.get_name())
        if self.slam is not None:
            array.status.append(self.slam.diagnostic(self.get_name()))
        array.header.stamp = self.get_clock().now().to_msg()
        self.output.diagnostics_pub.publish(array)


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
    except _rclpy.RCLError:
        if rclpy.ok(context=node.context):  # else a callback published as a signal shut the context down
            raise
    finally:
        node.stop_inputs()
        node.stop_worker()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
