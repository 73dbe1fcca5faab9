# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Outputs: what the node publishes for each tracked frame (odom with its twist, path, TF, matches, overlay, status)."""
from __future__ import annotations

import json
from collections import deque

import cv2
import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped, TransformStamped
from nav_msgs.msg import Odometry, Path
from rclpy.duration import Duration
from scipy.spatial.transform import Rotation
from sensor_msgs.msg import Image, PointCloud2, PointField
from std_msgs.msg import String

from lightglue_ros.ros.frames import T_odom_base_of, reanchored
from lightglue_ros.ros.image_conversion import numpy_to_image
from lightglue_ros.ros.sync import stamp_seconds
from lightglue_ros.ros.tf_broadcast import make_broadcaster
from lightglue_ros.vo.twist import PoseUncertainty, rotate_covariance, twist_covariance

# `matches`: one point per match of this frame to its keyframe. u0 v0: keyframe pixel, u1 v1: this frame's pixel,
# score: LightGlue probability, inlier: 1 for inliers of the relative pose; every point also carries the
# keyframe's id and stamp (seconds), so consumers can associate matches without another topic.
MATCH_FIELDS = [("u0", PointField.FLOAT32), ("v0", PointField.FLOAT32), ("u1", PointField.FLOAT32),
                ("v1", PointField.FLOAT32), ("score", PointField.FLOAT32), ("inlier", PointField.FLOAT32),
                ("keyframe_id", PointField.UINT32), ("keyframe_stamp", PointField.FLOAT64)]
MATCH_DTYPE = np.dtype([(name, np.float32) for name, _ in MATCH_FIELDS[:6]]
                       + [("keyframe_id", np.uint32), ("keyframe_stamp", np.float64)])
DELIVERY_TIMEOUT_S = 1.0   # cleanup waits at most this per publisher for its subscribers to acknowledge


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


class OdometryOutput:
    """The publishers the node makes at configure, and the state the twist and the path carry between frames."""

    def __init__(self, node, publish_tf: bool):
        self.node = node
        self.odom_pub = node.create_publisher(Odometry, "odom", 10)
        self.path_pub = node.create_publisher(Path, "path", 10)
        self.matches_pub = node.create_publisher(PointCloud2, "matches", 10)
        self.matches_image_pub = node.create_publisher(Image, "matches_image", 10)
        self.status_pub = node.create_publisher(String, "status", 10)
        self.diagnostics_pub = node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.tf_broadcaster = None
        if publish_tf:
            self.tf_broadcaster, how = make_broadcaster(node)
            (node.get_logger().info if self.tf_broadcaster is not None else node.get_logger().warning)(how)
        self.last_pose = None          # (stamp, T_odom_base, PoseUncertainty) for the twist
        self.anchor = None             # (T_odom_world, the mounting it was made for); None: at the next frame
        self.path: deque = deque()     # PoseStamped of the path, newest last; a Path only for subscribers

    def destroy(self) -> None:
        for publisher in (self.odom_pub, self.path_pub, self.matches_pub, self.matches_image_pub, self.status_pub,
                          self.diagnostics_pub):
            # The last frame's messages (cleanup waits for the frame in progress) die with a writer destroyed at
            # once: CI lost its status while its odometry arrived. Reliable ones get a moment to be acknowledged.
            publisher.wait_for_all_acked(Duration(seconds=DELIVERY_TIMEOUT_S))
            self.node.destroy_publisher(publisher)
        self.tf_broadcaster = None

    def restart(self, T_base_camera=None) -> None:
        """A new trajectory: no twist across the restart, an empty path; odom anchored at the mounting given."""
        self.last_pose = None
        self.anchor = None if T_base_camera is None else (T_base_camera, T_base_camera)
        self.path.clear()

    def T_odom_world(self, T_world_camera: np.ndarray, T_base_camera: np.ndarray) -> np.ndarray:
        """Where the camera-aligned world sits in odom; a new mounting re-anchors it so odom stays continuous."""
        if self.anchor is None:
            self.anchor = (T_base_camera, T_base_camera)
        elif not np.array_equal(self.anchor[1], T_base_camera):
            self.anchor = (reanchored(self.anchor[0], T_world_camera, self.anchor[1], T_base_camera), T_base_camera)
        return self.anchor[0]

    def publish(self, result, header, image: np.ndarray, cfg, T_base_camera: np.ndarray, status: dict) -> None:
        base_frame = cfg.base_frame or header.frame_id
        T_odom_world = self.T_odom_world(result.T_world_camera, T_base_camera)
        T_odom_base = T_odom_base_of(result.T_world_camera, T_base_camera, T_odom_world)
        position, quaternion = T_odom_base[:3, 3], Rotation.from_matrix(T_odom_base[:3, :3]).as_quat()

        odom = Odometry()
        odom.header.stamp, odom.header.frame_id, odom.child_frame_id = header.stamp, cfg.odom_frame, base_frame
        pose = odom.pose.pose
        pose.position.x, pose.position.y, pose.position.z = (float(v) for v in position)
        pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = (float(v) for v in quaternion)
        # camera-aligned world → odom axes
        odom.pose.covariance = rotate_covariance(result.covariance, T_odom_world[:3, :3]).ravel().tolist()
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
        R_base_world = T_odom_base[:3, :3].T @ T_odom_world[:3, :3]
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
        self.status_pub.publish(String(data=json.dumps(status)))
