# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Frames: the tracker's camera-aligned world and the robot's odom and base frames (REP-105), tied by the mounting.

The mounting (`T_base_camera`, the camera optical frame's pose in the base frame) comes, in this order, from
`base_from_camera` when it is set (any value but the identity default), from TF (the chain base_frame -> ... -> the
image's frame_id that robot_state_publisher sends on /tf_static), else, with no TF within `mounting_wait_s`, from the
fallback: the base at the camera with REP-103 axes (x forward, y left, z up). The odometry is

    T_odom_base = T_odom_world @ T_world_camera @ inv(T_base_camera)

with T_odom_world = T_base_camera at the start (odom is where the base started, the world where the camera did).
When the mounting changes (TF arrives after the fallback, or changes), T_odom_world is re-anchored so that the base
pose of that frame stays where it was: odom is continuous (REP-105).
"""
from __future__ import annotations

import threading
import time
from typing import Mapping, Optional, Tuple

import numpy as np

from lightglue_ros.vo.transforms import invert_transform, transform_from_quaternion

IDENTITY = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
# The optical frame (x right, y down, z forward) in a REP-103 body frame (x forward, y left, z up) at the same origin.
OPTICAL_IN_BASE = (0.0, 0.0, 0.0, -0.5, 0.5, -0.5, 0.5)


def T_base_camera_of(base_from_camera) -> np.ndarray:
    """The mounting (x y z qx qy qz qw, the camera's pose in the base frame) as a 4 x 4 transform."""
    return transform_from_quaternion(base_from_camera[:3], base_from_camera[3:])


def T_odom_base_of(T_world_camera: np.ndarray, T_base_camera: np.ndarray,
                   T_odom_world: Optional[np.ndarray] = None) -> np.ndarray:
    """The base in odom; by default odom is where the base started and the world is where the camera started."""
    T_odom_world = T_base_camera if T_odom_world is None else T_odom_world
    return T_odom_world @ T_world_camera @ invert_transform(T_base_camera)


def T_world_camera_of(T_odom_base: np.ndarray, T_base_camera: np.ndarray) -> np.ndarray:
    """The inverse of `T_odom_base_of` (default anchor): the camera pose the tracker starts from for a base pose."""
    return invert_transform(T_base_camera) @ T_odom_base @ T_base_camera


def reanchored(T_odom_world: np.ndarray, T_world_camera: np.ndarray, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """T_odom_world for the mounting `new` that keeps the base pose at T_world_camera what it was with `old`."""
    return T_odom_base_of(T_world_camera, old, T_odom_world) @ new @ invert_transform(T_world_camera)


def transform_msg_matrix(transform) -> np.ndarray:
    """geometry_msgs/Transform as T_parent_child."""
    t, q = transform.translation, transform.rotation
    return transform_from_quaternion([t.x, t.y, t.z], [q.x, q.y, q.z, q.w])


def chain_transform(edges: Mapping[str, Tuple[str, np.ndarray]], target: str, source: str) -> Optional[np.ndarray]:
    """T_target_source through a TF tree given as child -> (parent, T_parent_child); None if they are not connected.

    A static chain is a product of transforms: up from each frame to their lowest common ancestor, then down.
    """
    def ancestors(frame: str) -> dict:  # ancestor -> T_ancestor_frame, the frame itself first
        found, T = {frame: np.eye(4)}, np.eye(4)
        while frame in edges:
            parent, T_parent_frame = edges[frame]
            if parent in found:  # a loop: no tree above here
                break
            T, frame = T_parent_frame @ T, parent
            found[frame] = T
        return found

    up_target, up_source = ancestors(target), ancestors(source)
    common = next((frame for frame in up_target if frame in up_source), None)
    if common is None:
        return None
    return invert_transform(up_target[common]) @ up_source[common]


class StaticTFListener:
    """The /tf_static transforms, as tf2_ros's static listener keeps them, where only tf2_msgs is importable.

    Subscribed transient local (tf2_ros's StaticListenerQoS), so transforms sent before the node started arrive.
    Edges are replaced per child frame; `lookup` composes the chain.
    """

    def __init__(self, node, message_type):
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.node, self.edges, self.lock = node, {}, threading.Lock()
        self.subscription = node.create_subscription(message_type, "/tf_static", self.on_message, qos)

    def on_message(self, msg) -> None:
        with self.lock:
            edges = dict(self.edges)
        for t in msg.transforms:
            try:
                T = transform_msg_matrix(t.transform)
            except ValueError:  # a zero quaternion: not a transform
                continue
            if np.all(np.isfinite(T)):
                edges[t.child_frame_id.lstrip("/")] = (t.header.frame_id.lstrip("/"), T)
        with self.lock:
            self.edges = edges

    def lookup(self, target: str, source: str) -> Optional[np.ndarray]:
        with self.lock:
            edges = self.edges
        return chain_transform(edges, target, source)

    def destroy(self) -> None:
        self.node.destroy_subscription(self.subscription)


class TF2Listener:
    """tf2_ros's Buffer and TransformListener (/tf and /tf_static), the newest transform."""

    def __init__(self, node, tf2_ros):
        self.buffer = tf2_ros.Buffer()
        self.listener = tf2_ros.TransformListener(self.buffer, node)

    def lookup(self, target: str, source: str) -> Optional[np.ndarray]:
        from rclpy.time import Time
        try:
            return transform_msg_matrix(self.buffer.lookup_transform(target, source, Time()).transform)
        except Exception:  # noqa: BLE001  (tf2's LookupException, ConnectivityException, ...: not known yet)
            return None

    def destroy(self) -> None:
        unregister = getattr(self.listener, "unregister", None)
        if unregister is not None:
            unregister()


def make_listener(node) -> Tuple[Optional[object], str]:
    """(TF listener or None, how the mounting is looked up: a line for the log)."""
    try:
        import tf2_ros
        return TF2Listener(node, tf2_ros), "mounting looked up with tf2_ros (/tf and /tf_static)"
    except ImportError:
        pass
    try:
        from tf2_msgs.msg import TFMessage
    except ImportError:
        return None, "neither tf2_ros nor tf2_msgs is importable: the mounting cannot come from TF"
    return StaticTFListener(node, TFMessage), "tf2_ros is not importable: the mounting is read from /tf_static"


class MountingSource:
    """The current mounting for a camera frame: base_from_camera, TF, or the REP-103 fallback; changes are logged.

    Until TF gives it, the first frame waits up to `mounting_wait_s` from activation (polling), then the fallback;
    TF that comes later replaces the fallback (the caller re-anchors odom).
    """

    POLL_S = 0.05

    def __init__(self, listener, how: str, log):
        self.listener, self.how, self.log = listener, how, log
        self.deadline = 0.0
        self.source: Optional[tuple] = None   # (kind, T) last used, for the log on change
        self.T: Optional[np.ndarray] = None

    def start(self, wait_s: float) -> None:
        self.deadline = time.monotonic() + wait_s

    def T_base_camera(self, cfg, camera_frame: Optional[str]) -> np.ndarray:
        if tuple(cfg.base_from_camera) != IDENTITY:
            return self.use("base_from_camera", T_base_camera_of(cfg.base_from_camera),
                            "mounting from the base_from_camera parameter (TF is not looked up)")
        base = cfg.base_frame
        if camera_frame is None:  # before the first image (a reset): what is known; the first frame decides
            return self.T if self.T is not None else np.eye(4)
        if not base or base == camera_frame:  # the odometry is the camera's own, in its optical axes
            return self.use("camera", np.eye(4), f"odometry of the camera frame itself ({camera_frame!r}, optical "
                            "axes: x right, y down, z forward)")
        T = self.lookup(base, camera_frame)
        while T is None and self.listener is not None and self.source is None and time.monotonic() < self.deadline:
            time.sleep(self.POLL_S)  # the first frame only: wait a bounded time for the static transforms
            T = self.lookup(base, camera_frame)
        if T is not None:
            return self.use("tf", T, f"mounting from TF: {base} -> {camera_frame} = {pose_text(T)} ({self.how})")
        reason = self.how if self.listener is None else f"no TF from {base} to {camera_frame!r} within " \
            f"{cfg.mounting_wait_s:g} s (mounting_wait_s)"
        return self.use("fallback", T_base_camera_of(OPTICAL_IN_BASE),
                        f"{reason}: {base} is the camera with REP-103 axes (x forward, y left, z up; "
                        "base_from_camera = [0, 0, 0, -0.5, 0.5, -0.5, 0.5]); publish the mounting on /tf_static "
                        "or set base_from_camera")

    def lookup(self, base: str, camera_frame: str) -> Optional[np.ndarray]:
        return None if self.listener is None else self.listener.lookup(base, camera_frame)

    def use(self, kind: str, T: np.ndarray, message: str) -> np.ndarray:
        if self.source is None or self.source[0] != kind or not np.allclose(self.source[1], T, atol=1e-9):
            changed = self.source is not None
            self.source = (kind, T)
            message = ("mounting changed (odom re-anchored at the current pose): " if changed else "") + message
            if kind == "fallback":  # two calls: rclpy's logger takes one severity per call site
                self.log.warning(message)
            else:
                self.log.info(message)
        self.T = self.source[1]  # unchanged: the very matrix as before, so odom's anchor stays as it is
        return self.T

    def destroy(self) -> None:
        if self.listener is not None:
            self.listener.destroy()
            self.listener = None


def pose_text(T: np.ndarray) -> str:
    from scipy.spatial.transform import Rotation
    q = Rotation.from_matrix(T[:3, :3]).as_quat()
    q = -q if q[3] < 0 else q  # the same rotation, written with w >= 0
    return "[" + ", ".join(f"{v:.4g}" for v in (*T[:3, 3], *q)) + "] (x y z qx qy qz qw)"


def applied_mounting(T_base_camera: np.ndarray, metric: bool) -> np.ndarray:
    """The mounting as the odometry can apply it: whole once the scale is metric, else its rotation alone.

    The translation is in metres; a monocular trajectory without wheel odometry or depth is in units of its first
    scene depth, and a lever arm in metres composed with it would mix the two (the base would swing by a wrongly
    scaled arm at every turn). Until then the odometry is the camera's optical centre in the base's axes. A change
    between the two re-anchors odom like any change of the mounting (`reanchored`): odom stays continuous.
    """
    if metric:
        return T_base_camera
    rotation_only = np.eye(4)
    rotation_only[:3, :3] = T_base_camera[:3, :3]
    return rotation_only
