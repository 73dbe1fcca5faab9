# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The keyframe database: what the frontend keeps per keyframe, copied to the CPU and trimmed for the map.

A `KeyframeRecord` holds a keyframe's odometry pose (world-from-camera at the tracker's running scale, as settled
by the local bundle adjustment), its keypoints (pixels and undistorted rays), descriptors (float16) and 3D points
(keyframe coordinates, NaN where unknown), at most `SlamConfig.max_keypoints_per_keyframe` of them: those with a
point first, since verification's PnP rests on them. `session` tells maps apart: 0 is the first run (or the loaded
map), each `--load-map` run adds one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Dict, List, Optional

import numpy as np


@dataclass
class KeyframeRecord:
    id: int                          # unique in the database (the tracker's id plus an offset per session)
    session: int
    stamp: float
    T_world_camera: np.ndarray       # 4 x 4 odometry pose in its session's frame
    keypoints: np.ndarray            # N x 2 float32 pixels
    normalized: np.ndarray           # N x 2 float32 undistorted normalized coordinates
    descriptors: np.ndarray          # N x D float16
    points: np.ndarray               # N x 3 float32 keyframe coordinates (session units), NaN where unknown
    image_size: tuple                # (width, height)
    metric: bool = False
    global_descriptor: Optional[np.ndarray] = field(default=None, repr=False)   # place recognition's, float32
    # N int64: the frontend's local-map landmark id per keypoint (-1 for none; all -1 when it has none: RGB-D, a
    # loaded map), so the map's bundle adjustment sees one point in every keyframe that tracked it
    landmark_ids: Optional[np.ndarray] = field(default=None, repr=False)

    @property
    def landmarks(self) -> np.ndarray:
        if self.landmark_ids is None:
            return np.full(len(self.keypoints), -1, np.int64)
        return self.landmark_ids

    @property
    def known(self) -> np.ndarray:
        return np.isfinite(self.points[:, 2])

    @cached_property
    def num_points(self) -> int:   # cached: the candidate search asks every keyframe for it, every keyframe
        return int(self.known.sum())

    @property
    def median_depth(self) -> float:
        return float(np.median(self.points[self.known, 2])) if self.num_points else float("nan")

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.keypoints, self.normalized, self.descriptors, self.points)) + \
            sum(a.nbytes for a in (self.global_descriptor, self.landmark_ids) if a is not None)

    @classmethod
    def from_arrays(cls, key, session, stamp, T_world_camera, keypoints, normalized, descriptors, points,
                    image_size, metric, max_keypoints: int, landmarks=None) -> "KeyframeRecord":
        """Copy and trim: the keypoints with a 3D point first (in detection order), then the others."""
        points = np.asarray(points, dtype=np.float32)
        known = np.isfinite(points[:, 2])
        order = np.concatenate([np.flatnonzero(known), np.flatnonzero(~known)])[:max_keypoints]
        order.sort()
        return cls(int(key), int(session), float(stamp), np.array(T_world_camera, dtype=np.float64),
                   np.asarray(keypoints, np.float32)[order].copy(), np.asarray(normalized, np.float32)[order].copy(),
                   np.asarray(descriptors, np.float16)[order].copy(), points[order].copy(), tuple(image_size),
                   bool(metric), landmark_ids=None if landmarks is None else np.asarray(landmarks, np.int64)[order])


class KeyframeDatabase:
    """Keyframes by id, in insertion order, with the path length travelled up to each within its session.

    `previous` and `following` chain each session's keyframes in the database (a removed one's neighbours become
    each other's), the order of its odometry edges in the pose graph.
    """

    def __init__(self):
        self.records: Dict[int, KeyframeRecord] = {}
        self.order: List[int] = []
        self.path: Dict[int, float] = {}       # id -> path length from its session's first keyframe (odometry)
        self.position: Dict[int, int] = {}     # id -> how many keyframes were added before it (removals included)
        self.previous: Dict[int, Optional[int]] = {}
        self.following: Dict[int, Optional[int]] = {}
        self._last: Dict[int, int] = {}        # session -> its newest keyframe
        self._added = 0

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, key: int) -> KeyframeRecord:
        return self.records[key]

    def __contains__(self, key: int) -> bool:
        return key in self.records

    def add(self, record: KeyframeRecord) -> Optional[KeyframeRecord]:
        """Add a record; returns the previous keyframe of its session (its odometry neighbour) or None."""
        if record.id in self.records:
            raise ValueError(f"keyframe {record.id} is already in the database")
        previous = self.last_of(record.session)
        self.path[record.id] = 0.0 if previous is None else self.path[previous.id] + float(
            np.linalg.norm(record.T_world_camera[:3, 3] - previous.T_world_camera[:3, 3]))
        self.records[record.id] = record
        self.position[record.id] = self._added
        self._added += 1
        self.order.append(record.id)
        self.previous[record.id] = None if previous is None else previous.id
        self.following[record.id] = None
        if previous is not None:
            self.following[previous.id] = record.id
        self._last[record.session] = record.id
        return previous

    def remove(self, key: int) -> KeyframeRecord:
        """Drop a keyframe that is neither its session's first nor its last: its neighbours are chained instead."""
        before, after = self.previous[key], self.following[key]
        if before is None or after is None:
            raise ValueError(f"keyframe {key} ends its session's chain: it cannot be removed")
        self.following[before], self.previous[after] = after, before
        for table in (self.path, self.position, self.previous, self.following):
            del table[key]
        self.order.remove(key)   # O(map size): a list scan per removal, microseconds at the map's cap
        return self.records.pop(key)

    def last_of(self, session: int) -> Optional[KeyframeRecord]:
        key = self._last.get(session)
        return None if key is None else self.records[key]

    def sessions(self) -> List[int]:
        return sorted({r.session for r in self.records.values()})

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.records.values())
