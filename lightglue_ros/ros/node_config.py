# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The node's own parameters (topics, frames, QoS, outputs); the tracking knobs are `VOConfig`'s.

Same field pattern as VOConfig (`knob`: default, description, range/choices), so the node declares both alike and
`config/vo.yaml` is generated from both (`python -m lightglue_ros.ros.params_yaml`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Tuple

from lightglue_ros.ros.frames import IDENTITY
from lightglue_ros.vo.config import knob, validate_knobs


QOS_CHOICES = ("auto", "sensor_data", "reliable")
TIME_JUMP_CHOICES = ("auto", "continue", "reset")


@dataclass
class NodeConfig:
    odom_frame: str = knob("odom", "Frame of the odometry: the base frame's pose at the first frame (or reset).")
    base_frame: str = knob("base_link", "Child frame of the odometry and TF (REP-105): the robot's base. Its pose "
                           "in odom has REP-103 axes (x forward, y left, z up) when the mounting below says how the "
                           "camera sits on it; '' (or the image's frame_id): the camera's own pose, optical axes.")
    base_from_camera: Tuple[float, ...] = knob(IDENTITY, "The camera optical frame's pose in the base frame, x y z "
                                               "qx qy qz qw (metres; optical axes: x right, y down, z forward; "
                                               "the quaternion is normalised). The identity (default): looked up "
                                               "on TF (base_frame -> the image's frame_id, e.g. from "
                                               "robot_state_publisher); any other value overrides TF.",
                                               restart=True)
    mounting_wait_s: float = knob(2.0, "How long after activation the first frame waits for the mounting on TF; "
                                  "then base_frame is the camera with REP-103 axes (logged) until TF gives it.",
                                  range=(0.0, 60.0))
    publish_tf: bool = knob(True, "Broadcast odom_frame -> base frame on /tf (tf2_ros's broadcaster, else a "
                            "tf2_msgs/TFMessage publisher).", restart=True)
    intrinsics: Tuple[float, ...] = knob((0.0, 0.0, 0.0, 0.0), "Fallback fx fy cx cy (pixels) used while no "
                                         "camera_info has arrived; zeros: wait for camera_info.")
    rectified_images: bool = knob(False, "The images are rectified (image_proc's image_rect): intrinsics come from "
                                  "CameraInfo P and no distortion is applied. False: raw images (image_raw), "
                                  "intrinsics and distortion from K and D.")
    compressed: bool = knob(False, "Subscribe to image/compressed (sensor_msgs/CompressedImage) instead of image.",
                            restart=True)
    qos: str = knob("auto", "QoS of the image, camera_info and depth subscriptions: 'auto' matches what the "
                    "publishers offer (reliable when they all are, else best effort), decided when they appear.",
                    choices=QOS_CHOICES, restart=True)
    queue_depth: int = knob(2, "History depth of the input subscriptions; the node processes only the newest "
                            "frame and counts the others as dropped.", range=(1, 1000), restart=True)
    sync_wait_s: float = knob(1.0, "How long an image waits for the CameraInfo and depth image of its stamp "
                              "(images wait side by side, the frames already paired are tracked meanwhile); then "
                              "it takes the newest CameraInfo and goes without depth.", range=(0.0, 5.0))
    depth_max_stamp_diff_s: float = knob(0.02, "A depth image pairs with the frame whose stamp is this close.",
                                         range=(0.0, 1.0))
    on_time_jump: str = knob("auto", "Image stamps going backwards: 'continue' restarts the tracking at the current "
                             "pose (odom stays continuous, REP-105), 'reset' starts a new trajectory at the origin, "
                             "'auto' resets only when the node's clock went back too (use_sim_time and a replay "
                             "that starts over: a bag loop), else continues.", choices=TIME_JUMP_CHOICES)
    path_max_length: int = knob(2000, "Poses kept in the published path (oldest dropped).", range=(1, 1000000))
    warmup: bool = knob(True, "Run the models once at configure so the first frame is not slow.", restart=True)
    warmup_size: Tuple[int, ...] = knob((640, 480), "Image size (width height, pixels) of the warm-up: the "
                                        "camera's, so that nothing is built on its first frame (the onnxruntime "
                                        "backend makes ALIKED's graph per working size, seconds).", restart=True)
    slam: bool = knob(False, "Run the SLAM backend (loop closure, relocalisation, maps: lightglue_ros.slam) in its "
                      "own thread beside the tracker: publishes map_frame -> odom_frame on TF and map_pose, offers "
                      "save_map / load_map. Off by default: map -> odom is often another node's (AMCL, "
                      "robot_localization), and the backend is new.", restart=True)
    map_frame: str = knob("map", "SLAM: the map frame (REP-105): parent of odom_frame on TF, frame of map_pose.")
    map_file: str = knob("", "SLAM: a saved map. Loaded at configure when the file exists (localisation mode: "
                         "poses in its frame once the camera is relocalised in it); save_map writes it and "
                         "load_map loads it: set this parameter, then call the service.")
    autostart: bool = knob(True, "Configure and activate at start-up; false waits for a lifecycle manager.",
                           restart=True)

    def __post_init__(self):
        self.base_from_camera, self.intrinsics = mounting(self.base_from_camera), tuple(self.intrinsics)
        validate_knobs(self)
        if len(self.intrinsics) != 4:
            raise ValueError("intrinsics needs 4 numbers (fx fy cx cy)")
        self.warmup_size = tuple(int(v) for v in self.warmup_size)
        if len(self.warmup_size) != 2 or min(self.warmup_size) < 16 or max(self.warmup_size) > 16384:
            raise ValueError(f"warmup_size={list(self.warmup_size)}: needs width height, 16 to 16384 pixels")


def mounting(values) -> Tuple[float, ...]:
    """`base_from_camera` checked: 7 finite numbers, the quaternion normalised (users type rounded values).

    A zero quaternion is no rotation; accepted, every frame would fail when the node publishes it.
    """
    try:
        pose = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f"base_from_camera={values!r}: must be 7 numbers (x y z qx qy qz qw)") from None
    if len(pose) != 7 or not all(math.isfinite(v) for v in pose):
        raise ValueError(f"base_from_camera={list(pose)}: must be 7 finite numbers (x y z qx qy qz qw)")
    norm = math.sqrt(sum(v * v for v in pose[3:]))
    if norm < 1e-6:
        raise ValueError(f"base_from_camera={list(pose)}: the quaternion (qx qy qz qw) has norm {norm:g}, "
                         "not a rotation")
    return pose[:3] + tuple(v / norm for v in pose[3:])
