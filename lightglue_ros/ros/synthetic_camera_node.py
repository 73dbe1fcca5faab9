# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`synthetic_camera`: a camera driver for a synthetic sequence with exact ground truth (`lightglue_ros.sim`).

Publishes (relative names): `image` (rgb8/bgr8), `camera_info`, optionally `depth` (32FC1, metres), and
`ground_truth` (nav_msgs/Odometry: the true pose relative to the first frame in the convention of vo_node's odometry
at its defaults without TF, base_link at the camera with REP-103 axes; child frame `ground_truth_child_frame`).
Frames are stamped with the node clock when published, as a real driver does. With `ack_topic` set, each frame
waits for one message on that topic (lock-step with a slower consumer). It exits after the last frame, writing the
ground truth as TUM text when `ground_truth_file` is set (the camera's own poses, as TUM files have them).
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Tuple

import numpy as np
import rclpy
from nav_msgs.msg import Odometry
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile
from scipy.spatial.transform import Rotation
from sensor_msgs.msg import CameraInfo, Image

from lightglue_ros.ros.frames import OPTICAL_IN_BASE, T_base_camera_of
from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.ros.lockstep import AckWaiter
from lightglue_ros.ros.parameters import declare_parameters
from lightglue_ros.sim import SyntheticSequence
from lightglue_ros.vo.config import VOConfig, knob
from lightglue_ros.vo.transforms import invert_transform
from lightglue_ros.vo.tum import write_tum

AT_CAMERA = T_base_camera_of(OPTICAL_IN_BASE)  # a REP-103 base at the camera


@dataclass
class SyntheticCameraConfig:
    trajectory: str = knob("orbit", "Camera trajectory of the synthetic sequence (see `lightglue-vo synth`).")
    frames: int = knob(300, "Frames to publish; the node exits after the last.", range=(1, 1_000_000))
    size: str = knob("640x480", "Image size as WIDTHxHEIGHT.")
    seed: int = knob(0, "Scene seed; a sequence is deterministic for its seed.", range=(0, 2**31 - 1))
    fps: float = knob(10.0, "Publishing rate, frames per second.", range=(0.01, 1000.0))
    encoding: str = knob("rgb8", "Image encoding.", choices=("rgb8", "bgr8"))
    publish_depth: bool = knob(False, "Also publish the exact depth on `depth` (32FC1, metres).")
    frame_id: str = knob("camera", "frame_id of the images.")
    ground_truth_child_frame: str = knob("base_link_truth", "Child frame of `ground_truth`: a base at the camera with "
                                         "REP-103 axes (x forward, y left, z up), as vo_node's base_link without TF.")
    ground_truth_frame: str = knob("odom", "Frame of `ground_truth` (it starts at identity, like VO odometry).")
    ground_truth_file: str = knob("", "Write the ground truth here as TUM text at the end ('' = do not).")
    ack_topic: str = knob("", "Lock-step: after each frame wait for one message on this topic ('' = free-running).")
    ack_timeout: float = knob(30.0, "Seconds to wait for an ack before going on.", range=(0.1, 3600.0))
    wait_for_subscribers: bool = knob(True, "Start publishing once `image` has a subscriber.")
    start_delay: float = knob(1.0, "Seconds between finding the subscriber and the first frame (discovery).",
                              range=(0.0, 3600.0))

    def __post_init__(self):
        VOConfig.validate(self)  # same field metadata rules as VOConfig
        self.image_size  # parse early: a bad size is a ValueError at start-up

    @property
    def image_size(self) -> Tuple[int, int]:
        try:
            width, height = (int(v) for v in self.size.lower().split("x"))
        except ValueError:
            raise ValueError(f"size={self.size!r}: expected WIDTHxHEIGHT, e.g. 640x480") from None
        if width < 16 or height < 16:
            raise ValueError(f"size={self.size!r}: at least 16x16")
        return width, height


def main(argv=None) -> int:
    rclpy.init(args=argv)
    node = SyntheticCamera()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        node.run()
        code = 0
    except KeyboardInterrupt:
        code = 0
    except (ValueError, TimeoutError) as exc:
        node.get_logger().error(str(exc))
        code = 1
    finally:
        executor.shutdown()
        spinner.join()
        node.destroy_node()
        rclpy.try_shutdown()
    return code


class SyntheticCamera(Node):
    """The rclpy shell: parameters in, messages out; rendering and poses come from `lightglue_ros.sim`."""

    def __init__(self):
        super().__init__("synthetic_camera")
        self.config = declare_parameters(self, SyntheticCameraConfig)
        qos = QoSProfile(depth=10)
        self.image_pub = self.create_publisher(Image, "image", qos)
        self.info_pub = self.create_publisher(CameraInfo, "camera_info", qos)
        self.depth_pub = self.create_publisher(Image, "depth", qos) if self.config.publish_depth else None
        self.gt_pub = self.create_publisher(Odometry, "ground_truth", qos)
        self.acks = None
        if self.config.ack_topic:
            self.acks = AckWaiter(self, self.config.ack_topic, self.config.ack_timeout)

    def run(self) -> None:
        """Publish every frame on schedule (or lock-step), then write the ground truth."""
        cfg, log = self.config, self.get_logger()
        width, height = cfg.image_size
        sequence = SyntheticSequence(trajectory=cfg.trajectory, frames=cfg.frames, size=(width, height),
                                     seed=cfg.seed)
        info = camera_info_msg(sequence.camera)
        T_first_camera = sequence.relative_poses()  # the ground truth, relative to the VO odometry's origin
        if self.acks is not None:
            self.acks.subscribe()
        if cfg.wait_for_subscribers:
            while self.image_pub.get_subscription_count() == 0:
                time.sleep(0.05)
        time.sleep(cfg.start_delay)
        log.info(f"publishing {cfg.frames} {width}x{height} frames of '{cfg.trajectory}' (seed {cfg.seed}) "
                 f"at {cfg.fps} fps{' in lock-step with ' + self.acks.topic if self.acks else ''}")
        stamps = []
        start = time.monotonic()
        for i in range(cfg.frames):
            _, rgb, depth_m, _ = sequence.frame(i)
            due = start + i / cfg.fps
            time.sleep(max(0.0, due - time.monotonic()))
            now = self.get_clock().now()
            stamps.append(now.nanoseconds * 1e-9)
            self.publish_frame(now.to_msg(), info, rgb, depth_m, T_first_camera[i])
            if self.acks is not None:
                waited = time.monotonic()
                self.acks.wait()
                start += time.monotonic() - waited  # the consumer's pace, not ours
        log.info(f"published {cfg.frames} frames")
        if cfg.ground_truth_file:
            write_tum(cfg.ground_truth_file, np.array(stamps), T_first_camera)
            log.info(f"ground truth written to {cfg.ground_truth_file}")
        time.sleep(0.5)  # reliable delivery of the last frame before the publishers go away

    def publish_frame(self, stamp, info, rgb: np.ndarray, depth_m: np.ndarray, T_first_camera: np.ndarray):
        cfg = self.config
        info.header.stamp, info.header.frame_id = stamp, cfg.frame_id
        self.info_pub.publish(info)
        if self.depth_pub is not None:
            self.depth_pub.publish(numpy_to_image(depth_m.astype(np.float32), "32FC1", stamp, cfg.frame_id))
        pixels = rgb if cfg.encoding == "rgb8" else np.ascontiguousarray(rgb[..., ::-1])
        self.image_pub.publish(numpy_to_image(pixels, cfg.encoding, stamp, cfg.frame_id))
        T_first_base = AT_CAMERA @ T_first_camera @ invert_transform(AT_CAMERA)
        self.gt_pub.publish(odometry_msg(T_first_base, stamp, cfg.ground_truth_frame, cfg.ground_truth_child_frame))


def camera_info_msg(camera):
    """sensor_msgs/CameraInfo for a `CameraModel`."""
    msg = CameraInfo()
    msg.width, msg.height = int(camera.width), int(camera.height)
    msg.distortion_model = camera.distortion_model
    msg.d = [float(v) for v in camera.D]
    K = np.asarray(camera.K, dtype=float)
    msg.k = K.ravel().tolist()
    msg.r = np.eye(3).ravel().tolist()
    msg.p = np.hstack([K, np.zeros((3, 1))]).ravel().tolist()
    return msg


def odometry_msg(T: np.ndarray, stamp, frame_id: str, child_frame_id: str):
    """nav_msgs/Odometry holding the pose T (4x4)."""
    msg = Odometry()
    msg.header.stamp, msg.header.frame_id, msg.child_frame_id = stamp, frame_id, child_frame_id
    p, q = msg.pose.pose.position, msg.pose.pose.orientation
    p.x, p.y, p.z = (float(v) for v in T[:3, 3])
    q.x, q.y, q.z, q.w = (float(v) for v in Rotation.from_matrix(T[:3, :3]).as_quat())
    return msg


if __name__ == "__main__":
    sys.exit(main())
