# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The node's SLAM side (parameter `slam`): the backend of `lightglue_ros.slam` in a thread, outputs, services.

Outputs: TF `map_frame -> odom_frame` (REP-105: odom stays continuous, the loop and localisation corrections go into
map -> odom; the identity while mapping until a loop closes), `map_pose` (geometry_msgs/PoseStamped: the base in
the map frame) and `map_path` (nav_msgs/Path of those, as published: earlier poses are not re-corrected;
published only while subscribed), a `slam` entry in `status` and a `vo_node: slam` entry in `/diagnostics` (loop
closures accepted and rejected, with the reasons). In localisation mode (a loaded map) neither TF nor map_pose is
published until the camera is relocalised in the map: there is no map -> odom to give before. After the tracker
re-initialised from a loss, its keyframes are relocalised in the map (`slam/link.py`): until then map -> odom keeps
the correction it had at the loss (odom carries on from the pose held there), `status.slam.localised` is false and
the diagnostic warns; `relocalisations` counts the sessions localised in the map, `session` is the current one.

Services (std_srvs/Trigger, the map path from the `map_file` parameter: set it, then call): `save_map` writes the
map there; `load_map` loads it and localises in it (a new session: the next keyframes are looked up in the map; odom
is not touched). A file that is not a map, truncated, corrupt or of other features is refused with the reason in the
response; the node keeps tracking in the map it had.

The backend is made at the first frame (it needs the camera's focal length; metric when that frame has depth) and
runs on its own thread: the worker only copies a new keyframe's descriptors and queues it (`TrackerLink.observe`),
so the frontend never waits for it; the thread runs at the lowest priority with its matching on it alone
(`SlamConfig.thread_nice`, `thread_matcher_threads`), behind the frontend when the CPU is short. Its BLAS runs on
one thread where threadpoolctl is installed (the limit is the process's: the frontend's work is torch's, whose
threads are its own); else set OPENBLAS_NUM_THREADS=1: OpenBLAS's worker thread is made at the frontend's priority
and spins after each call (bench/slam_frontend.py, tum_fr1_rpy, 2 cores: without it 62.6 CPU s of that thread, the
frontend +14 % per frame with SLAM; with it +12 %).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Optional

import numpy as np
from geometry_msgs.msg import PoseStamped, TransformStamped
from nav_msgs.msg import Path as PathMsg
from scipy.spatial.transform import Rotation
from std_srvs.srv import Trigger

from lightglue_ros.vo.transforms import invert_transform


def limit_blas_threads(log) -> None:
    """One BLAS thread (the backend's gtsam / numpy work must not take the cores the tracker needs)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.info("SLAM: threadpoolctl is not installed; set OPENBLAS_NUM_THREADS=1 to keep the backend's BLAS on "
                 "one thread")
        return
    threadpool_limits(1, user_api="blas")


class SlamSide:
    """Made at configure when `slam` is on; `observe` and `publish` are called by the worker per frame."""

    def __init__(self, node):
        self.node, self.log = node, node.get_logger()
        self.backend = self.link = None
        self.running = False                    # between activate and deactivate: the backend's thread runs
        self.pending_map: Optional[str] = None  # a map to load when the backend is made (at the first frame)
        self.loaded_map: Optional[str] = None   # the map this run localises in (None: mapping)
        self.map_error: Optional[str] = None    # why the last map could not be loaded
        self.observe_ms = 0.0                   # what the frontend spent on the SLAM side in the last frame
        path = node.config.map_file
        if path and Path(path).exists():
            self.check(path)               # a corrupt map fails configure (raises MapFileError, with the reason)
            self.pending_map = path
            self.log.info(f"SLAM: localisation mode in {path} (loaded at the first frame)")
        elif path:
            self.log.info(f"SLAM: no map at {path} yet: mapping; save_map writes it")
        self.pose_pub = node.create_publisher(PoseStamped, "map_pose", 10)
        self.path_pub = node.create_publisher(PathMsg, "map_path", 10)
        self.path: deque = deque()          # map_pose history (each as published then), newest last
        self.services = [node.create_service(Trigger, "save_map", self.on_save_map),
                         node.create_service(Trigger, "load_map", self.on_load_map)]
        limit_blas_threads(self.log)

    def destroy(self) -> None:
        self.stop()
        for service in self.services:
            self.node.destroy_service(service)
        self.node.destroy_publisher(self.pose_pub)
        self.node.destroy_publisher(self.path_pub)
        self.backend = self.link = None

    def start(self) -> None:
        self.running = True
        if self.backend is not None:
            self.backend.start()

    def stop(self) -> None:
        """Deactivate: the backend finishes its queue and its thread ends."""
        self.running = False
        if self.backend is not None:
            self.backend.stop()

    def restart(self) -> None:
        """A new trajectory (reset): a new map (the loaded one again, if any) from the next frame."""
        old, self.backend, self.link = self.backend, None, None
        self.pending_map = self.loaded_map
        self.path.clear()
        if old is not None:
            threading.Thread(target=old.stop, name="slam_backend_stop", daemon=True).start()

    # --- the map files ---------------------------------------------------------------------------------

    def check(self, path: str) -> None:
        """Raise MapFileError when `path` is no map the tracker can use (before the backend exists)."""
        from lightglue_ros.slam.map_file import MapFileError, read

        meta, _ = read(path)
        features = self.node.vo_config.features
        if meta.get("features") != features:
            raise MapFileError(f"{path} is a map of {meta.get('features')} features; the tracker uses {features}")

    def make_backend(self, metric: bool, map_path: Optional[str]):
        """A backend (and its link) for the tracker, `map_path` loaded into it; MapFileError says why not."""
        from lightglue_ros.slam import SlamBackend, SlamConfig, TrackerLink

        tracker = self.node.tracker
        backend = SlamBackend(SlamConfig(), tracker.matcher, tracker.camera.focal, metric,
                              self.node.vo_config.features)
        if map_path:
            backend.load(map_path)
        return backend, TrackerLink(tracker, backend, keep_frames=False)

    def on_save_map(self, request, response):
        path = self.node.config.map_file
        backend = self.backend
        if not path:
            response.success, response.message = False, "set the map_file parameter to the file to write"
        elif backend is None:
            response.success, response.message = False, "no map yet: no frame tracked"
        else:
            try:
                size = backend.save(path)
            except Exception as error:  # noqa: BLE001  (a full disk, a bad path: the node stays up)
                response.success, response.message = False, f"{type(error).__name__}: {error}"
            else:
                response.success = True
                response.message = f"saved {len(backend.database)} keyframes to {path} ({size / 1024:.0f} KiB)"
        self.report("save_map", response)
        return response

    def report(self, service: str, response) -> None:
        if response.success:   # rclpy's logger wants one severity per call site
            self.log.info(f"{service}: {response.message}")
        else:
            self.log.error(f"{service}: {response.message}")

    def on_load_map(self, request, response):
        """Load `map_file` and localise in it; a bad file is refused with the reason and changes nothing."""
        from lightglue_ros.slam.map_file import MapFileError

        path = self.node.config.map_file
        response.success, response.message = False, "set the map_file parameter to the map to load"
        if path:
            try:
                self.load(path)
                response.success = True
                response.message = f"loaded {path}: localising in it" if self.backend is not None else \
                    f"{path} checked: loaded at the first frame"
            except MapFileError as error:
                response.message = f"{path} refused: {error}"
            except Exception as error:  # noqa: BLE001  (whatever else the file does to the loader: the node stays up)
                response.message = f"{path} refused: {type(error).__name__}: {error}"
        self.report("load_map", response)
        return response

    def load(self, path: str) -> None:
        """Swap in a backend with the map (between two frames); the old one finishes on its own."""
        self.check(path)
        with self.node.processing:   # no frame in progress while the backend changes
            if self.backend is None:
                self.pending_map = path
                return
            backend, link = self.make_backend(self.backend.metric, path)
            old, self.backend, self.link = self.backend, backend, link
            self.loaded_map, self.map_error = path, None
            if self.running:
                backend.start()
        threading.Thread(target=old.stop, name="slam_backend_stop", daemon=True).start()

    # --- per frame (worker thread) ---------------------------------------------------------------------

    def observe(self, result, metric: bool) -> None:
        """After `tracker.process`: hand a new keyframe to the backend (cheap; never waits for its work)."""
        if self.link is None:
            self.create(metric)
        start = time.perf_counter()
        self.link.observe(result)
        self.observe_ms = (time.perf_counter() - start) * 1e3

    def create(self, metric: bool) -> None:
        path, self.pending_map = self.pending_map, None
        try:
            self.backend, self.link = self.make_backend(metric, path)
            self.loaded_map = path
        except ValueError as error:   # MapFileError, or a monocular map for an RGB-D camera: map without it
            self.map_error = f"{path} refused: {error}"
            self.log.error(f"SLAM: {self.map_error}; mapping from scratch")
            self.backend, self.link = self.make_backend(metric, None)
            self.loaded_map = None
        if self.running:
            self.backend.start()
        mode = f"localising in {path}" if self.loaded_map else "mapping"
        self.log.info(f"SLAM backend started ({'metric, SE(3)' if metric else 'monocular, Sim(3)'}): {mode}")

    def T_map_odom(self, T_odom_world: np.ndarray) -> Optional[np.ndarray]:
        """The map -> odom transform in the ROS frames, None while not localised (a loaded map before relocalisation).

        The map frame is anchored as odom is (the camera-aligned world of its first session, through the mounting),
        so the two coincide until a loop corrects the drift. Mapping: the identity until the backend has a keyframe.
        """
        M = self.link.map_from_odom() if self.link is not None else None
        if M is None:
            return np.eye(4) if self.backend is not None and self.backend.localised.get(self.backend.session) \
                else None
        return map_from_odom_ros(T_odom_world, M)

    def publish(self, header, T_odom_world: np.ndarray, T_odom_base: np.ndarray, cfg, broadcaster) -> None:
        T_map_odom = self.T_map_odom(T_odom_world)
        if T_map_odom is None:
            return
        if broadcaster is not None:
            transform = TransformStamped()
            transform.header.stamp, transform.header.frame_id = header.stamp, cfg.map_frame
            transform.child_frame_id = cfg.odom_frame
            set_pose(transform.transform.translation, transform.transform.rotation, T_map_odom)
            broadcaster.sendTransform(transform)
        pose = PoseStamped()
        pose.header.stamp, pose.header.frame_id = header.stamp, cfg.map_frame
        set_pose(pose.pose.position, pose.pose.orientation, T_map_odom @ T_odom_base)
        self.pose_pub.publish(pose)
        self.path.append(pose)
        while len(self.path) > cfg.path_max_length:
            self.path.popleft()
        if self.path_pub.get_subscription_count() > 0:   # as odometry_output's path: only for subscribers
            path = PathMsg(poses=list(self.path))
            path.header.stamp, path.header.frame_id = header.stamp, cfg.map_frame
            self.path_pub.publish(path)

    # --- reporting -------------------------------------------------------------------------------------

    def status(self) -> dict:
        backend = self.backend
        values = {"mode": "localisation" if self.loaded_map or self.pending_map else "mapping",
                  "map_file": self.loaded_map or self.pending_map, "map_error": self.map_error}
        if backend is None:
            return {**values, "localised": False, "keyframes": 0, "keyframes_dropped": 0, "accepted": 0,
                    "rejected": 0, "session": 0, "relocalisations": 0}
        s = backend.stats
        ms = s.keyframe_ms[-50:]
        return {**values, "localised": bool(backend.localised.get(backend.session)),
                "keyframes": len(backend.database), "keyframes_dropped": s.culled, "accepted": s.accepted,
                "rejected": s.rejected,
                "session": backend.session, "relocalisations": s.relocalisations,
                "rejected_reasons": dict(s.reasons), "candidates": s.candidates, "backlog": backend.backlog,
                "not_looked_up": s.not_looked_up,
                "keyframe_ms": round(float(np.mean(ms)), 1) if ms else None, "observe_ms": round(self.observe_ms, 2),
                "error": None if backend.error is None else f"{type(backend.error).__name__}: {backend.error}"}

    def diagnostic(self, name: str):
        """The `vo_node: slam` DiagnosticStatus: ERROR when the backend failed, WARN while not localised."""
        from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

        values = self.status()
        status = DiagnosticStatus(name="vo_node: slam", hardware_id=name)
        if values.get("error"):
            status.level, status.message = DiagnosticStatus.ERROR, f"backend failed: {values['error']}"
        elif not values["localised"]:
            status.level = DiagnosticStatus.WARN
            status.message = f"not localised in {values['map_file']}" if values["mode"] == "localisation" else \
                "relocalising after a loss" if values["session"] else "no keyframe yet"
        else:
            status.level = DiagnosticStatus.OK
            status.message = f"{values['mode']}: loop closures {values['accepted']} accepted, " \
                f"{values['rejected']} rejected"
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        return status


def map_from_odom_ros(T_odom_world: np.ndarray, T_mapworld_world: np.ndarray) -> np.ndarray:
    """T_map_odom from the backend's correction (tracker world -> the map's world), both worlds anchored alike.

    odom = T_odom_world @ world, and the map frame is its map world through the same anchor, so the base's pose in
    map is T_map_odom @ T_odom_base = T_odom_world @ (T_mapworld_world @ T_world_camera) @ inv(T_base_camera).
    """
    return T_odom_world @ T_mapworld_world @ invert_transform(T_odom_world)


def set_pose(position, orientation, T: np.ndarray) -> None:
    """Fill a geometry_msgs position/translation and orientation/rotation from a 4 x 4 transform."""
    position.x, position.y, position.z = (float(v) for v in T[:3, 3])
    q = Rotation.from_matrix(T[:3, :3]).as_quat()
    orientation.x, orientation.y, orientation.z, orientation.w = (float(v) for v in q)
