# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The tracker's side of the SLAM backend: hands it settled keyframes, maps frames to corrected poses.

The frontend knows nothing of SLAM: after each `Tracker.process`, `observe(result)` looks at the tracker's current
keyframe (`Tracker.keyframe`: the newest one, or a re-initialisation candidate after a loss) and copies its
keypoints and descriptors to the CPU while its encoding still exists (the local map frees older ones). Monocular
keyframes are handed over only once the local bundle adjustment no longer moves them (`local_map_keyframes` newer
ones), with their pose and points as adjusted; metric ones at once. The backend's corrections then map each frame's
odometry pose to the map frame through the keyframe it was tracked against.

When a LOST tracker re-initialises (`FrameResult.reinitialised`), its pose across the loss is a guess (held at the
last good one) and a monocular scale starts over: its keyframes from then on are a new backend session, relocalised
in the map by place recognition and verification as a run on a loaded map is, not chained to the keyframes before.
The odometry stays continuous; until the session is relocalised its frames take the correction the map had at the
loss (the map pose carries on from there, as the odometry does, rather than stopping), and then their own.
"""
from __future__ import annotations

from collections import deque
from typing import Deque, Dict, List, Optional, Tuple

import numpy as np

from .backend import SlamBackend
from .database import KeyframeRecord
from .sim3 import rigid


class TrackerLink:
    """Feeds one tracker's keyframes to a backend and keeps every frame for its corrected pose."""

    def __init__(self, tracker, backend: SlamBackend, keep_frames: bool = True):
        """`keep_frames`: keep every frame for `trajectory` (offline); a node keeps only the latest."""
        self.tracker, self.backend, self.keep_frames = tracker, backend, keep_frames
        backend.history = keep_frames   # only `trajectory` asks the corrections of keyframes dropped from the map
        self._last = None                                   # the last keyframe object registered
        self._ids: Dict[int, int] = {}                      # tracker keyframe id -> database id
        # (keyframe, database id, descriptors, the pose its frames are tracked from: the local map moves it later)
        self._pending: Deque[Tuple[object, int, np.ndarray, np.ndarray]] = deque()
        self._held: Optional[int] = None                    # database id whose correction holds until relocalised
        # (stamp, T_odom_camera, database id, held id): the held id's correction while the id's session is not localised
        self.frames: List[Tuple[float, np.ndarray, int, Optional[int]]] = []
        # database id -> T_settled T_tracked^-1: how the local map moved the keyframe after its frames were tracked
        self._settled: Dict[int, np.ndarray] = {}

    @property
    def settle(self) -> int:
        """Keyframes a monocular keyframe waits for: the local map's window may still move it until then."""
        return self.tracker.config.local_map_keyframes

    def observe(self, result) -> None:
        keyframe = self.tracker.keyframe
        if result.reinitialised and self._last is not None:
            self._new_session()
        if keyframe is not None and keyframe is not self._last and keyframe.encoded is not None:
            self._register(keyframe)
        if self._last is None:
            return
        key = self._ids.get(result.keyframe_id if not result.is_keyframe else keyframe.id)
        if key is None:
            key = self._ids[self._last.id]
        if not self.keep_frames:
            self.frames.clear()
        revised = dict(result.revised)   # the frames that waited for the monocular initialisation
        if revised:
            self.frames = [(s, revised.get(s, T), k, h) for s, T, k, h in self.frames]
        self.frames.append((float(result.stamp), np.array(result.T_world_camera, dtype=np.float64), key, self._held))

    def _new_session(self) -> None:
        """The keyframes before the loss go to the backend as they are; the next ones into a new session."""
        while self._pending:
            self._hand_over(*self._pending.popleft())
        if self.backend.localised.get(self.backend.session):   # else the correction held before still holds
            self._held = self._ids[self._last.id]
        self.backend.new_session()

    def _register(self, keyframe) -> None:
        self._last = keyframe
        key = self.backend.new_id()
        self._ids[keyframe.id] = key
        descriptors = keyframe.encoded.features.descriptors.detach().float().cpu().numpy().astype(np.float16)
        self._pending.append((keyframe, key, descriptors, np.array(keyframe.T_world_camera, dtype=np.float64)))
        settle = 0 if keyframe.metric else self.settle
        while len(self._pending) > settle:
            self._hand_over(*self._pending.popleft())

    def _hand_over(self, keyframe, key: int, descriptors: np.ndarray, T_world_tracked: np.ndarray) -> None:
        camera = self.tracker.camera
        if self.keep_frames:
            self._settled[key] = keyframe.T_world_camera @ np.linalg.inv(T_world_tracked)
        record = KeyframeRecord.from_arrays(
            key, self.backend.session, keyframe.stamp, keyframe.T_world_camera, keyframe.keypoints,
            keyframe.normalized, descriptors, keyframe.points, (camera.width, camera.height), keyframe.metric,
            self.backend.config.max_keypoints_per_keyframe, keyframe.landmarks)
        self.backend.add_keyframe(record)

    def finish(self) -> None:
        """Hand over the keyframes still settling and wait for the backend (end of an offline run)."""
        while self._pending:
            self._hand_over(*self._pending.popleft())
        self.backend.wait()

    def corrected_pose(self, key: int, T_odom_camera: np.ndarray) -> Optional[np.ndarray]:
        return self.backend.corrected_pose(key, T_odom_camera)

    def map_pose(self) -> Optional[np.ndarray]:
        """The latest observed frame's camera pose in the map frame (None while no correction applies).

        A frame whose keyframe is still settling takes the correction of the newest keyframe the backend has; one of
        a session not localised after a loss the correction held from before it; one of a run on a loaded map none.
        """
        if not self.frames:
            return None
        _, T, key, held = self.frames[-1]
        C = self.backend.correction(key)
        if C is None:
            C = self.backend.latest_correction()
        if C is None and held is not None:
            C = self.backend.correction(held)
        return None if C is None else rigid(C @ T)

    def map_from_odom(self) -> Optional[np.ndarray]:
        """The rigid T_map_odom that puts the latest frame where `map_pose` says (REP-105's map -> odom).

        Monocular corrections are similarities; their scale cannot go into a rigid transform, so this is exact at the
        latest pose and is republished as the camera moves.
        """
        pose = self.map_pose()
        return None if pose is None else pose @ np.linalg.inv(self.frames[-1][1])

    def trajectory(self):
        """(stamps, poses, localised bool per frame): every frame's final pose in the map frame.

        A frame goes with its keyframe's final pose, at its pose relative to the keyframe as tracked (ORB-SLAM's
        trajectory): the local bundle adjustment moved the keyframe after the frame's odometry pose was taken from it,
        so the correction of the keyframe as settled does not fit that pose (measured on the synthetic loop, seeds 0-4,
        240 frames: ATE 4-14 % lower). A frame never localised keeps its odometry pose, or after a loss takes the
        correction held from before it.
        """
        stamps, poses, localised = [], [], []
        for stamp, T, key, held in self.frames:
            C = self.backend.correction(key)
            stamps.append(stamp)
            localised.append(C is not None)
            if C is not None:
                C = C @ self._settled[key]
            if C is None and held is not None:
                C = self.backend.correction(held)
            poses.append(rigid(C @ T) if C is not None else T)
        return np.array(stamps), np.stack(poses), np.array(localised)
