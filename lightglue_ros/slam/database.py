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
            (self.global_descriptor.nbytes if self.global_descriptor is not None else 0)

    @classmethod
    def from_arrays(cls, key, session, stamp, T_world_camera, keypoints, normalized, descriptors, points,
                    image_size, metric, max_keypoints: int) -> "KeyframeRecord":
        """Copy and trim: the keypoints with a 3D point first (in detection order), then the others."""
        points = np.asarray(points, dtype=np.float32)
        known = np.isfinite(points[:, 2])
        order = np.concatenate([np.flatnonzero(known), np.flatnonzero(~known)])[:max_keypoints]
        order.sort()
        return cls(int(key), int(session), float(stamp), np.array(T_world_camera, dtype=np.float64),
                   np.asarray(keypoints, np.float32)[order].copy(), np.asarray(normalized, np.float32)[order].copy(),
                   np.asarray(descriptors, np.float16)[order].copy(), points[order].copy(), tuple(image_size),
                   bool(metric))


class KeyframeDatabase:
    """Keyframes by id, in insertion order, with the path length travelled up to each within its session."""

    def __init__(self):
        self.records: Dict[int, KeyframeRecord] = {}
        self.order: List[int] = []
        self.path: Dict[int, float] = {}       # id -> path length from its session's first keyframe (odometry)
        self.position: Dict[int, int] = {}     # id -> its index in `order`

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
        self.position[record.id] = len(self.order)
        self.order.append(record.id)
        return previous

    def last_of(self, session: int) -> Optional[KeyframeRecord]:
        for key in reversed(self.order):
            if self.records[key].session == session:
                return self.records[key]
        return None

    def sessions(self) -> List[int]:
        return sorted({r.session for r in self.records.values()})

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.records.values())
