# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Bundle adjustment of the whole map after a loop closure (monocular): ORB-SLAM's global BA.

The pose graph spreads a loop's correction along the chain of odometry edges, as stiff as their sigmas say, but it
cannot see where the odometry's scale wobbled: it bends every keyframe alike. The map's keyframes still hold the
observations that fix it: the frontend's landmarks (`KeyframeRecord.landmarks`: one id per keypoint for the points
its local map tracked across keyframes) and the loops' own inlier matches, which tie the revisiting keyframe's
keypoints to the candidate's points (the landmark seen at the start is the one seen again: their tracks merge).
Adjusting every localised keyframe's pose and every such point at once, starting from the pose graph's estimate,
puts the scale where those observations say.

`adjust_map` is a function of the records, the graph's nodes and the loops' matches; it returns the adjusted nodes
(S_world_keyframe, the scale of each from its points' depths) or None when the adjustment did not hold (too few
inliers). The gauge is held by the fixed keyframes (a loaded map's) or else by the first two of the map (position,
orientation and scale, as the local map's window holds them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np

from .database import KeyframeRecord
from .sim3 import decompose, make_sim3, rigid
from ..vo.local_map import bundle_adjust

SESSION_STRIDE = 1 << 40      # landmark key = session * stride + the frontend's id: sessions' ids never collide
KEYPOINT_STRIDE = 1 << 14     # a loop-matched candidate point without a landmark: key -(id * stride + index) - 2
MIN_INLIER_SHARE = 0.5        # an adjustment whose inliers are fewer than this share of the observations is refused
MIN_SCALE_POINTS = 5          # points a keyframe needs for its scale from the adjusted depths (else its node's)


@dataclass
class LoopMatches:
    """A loop edge's inlier matches: keypoint indices of the query keyframe and of the candidate."""

    query_id: int
    candidate_id: int
    pairs: np.ndarray             # K x 2 (query index, candidate index)


@dataclass
class Adjustment:
    nodes: Dict[int, np.ndarray]  # free keyframe id -> adjusted S_world_keyframe
    observations: int
    points: int
    inlier_share: float


class _Tracks:
    """Union-find over landmark keys: a loop match says two keys are one point."""

    def __init__(self):
        self.parent: Dict[int, int] = {}

    def find(self, key: int) -> int:
        parent = self.parent
        root = key
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(key, key) != root:
            parent[key], key = root, parent[key]
        return root

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def roots(self, keys: np.ndarray) -> np.ndarray:
        if not self.parent:
            return keys
        unique, inverse = np.unique(keys, return_inverse=True)
        return np.array([self.find(int(k)) for k in unique], dtype=np.int64)[inverse]


def landmark_keys(record: KeyframeRecord) -> np.ndarray:
    """Per keypoint its landmark's key in the map (-1 for none)."""
    lm = record.landmarks
    return np.where(lm >= 0, record.session * SESSION_STRIDE + lm, -1)


def _transform(S: np.ndarray, X: np.ndarray) -> np.ndarray:
    return X @ S[:3, :3].T + S[:3, 3]


def adjust_map(records: Sequence[KeyframeRecord], nodes: Dict[int, np.ndarray], fixed: Sequence[int],
               loops: Sequence[LoopMatches], focal: float, threshold_px: float,
               iterations: int = 10) -> Optional[Adjustment]:
    """Bundle-adjust `records` (their nodes S_world_keyframe are the start; `fixed` ids stay) with the loops' matches.

    Returns the free keyframes' adjusted nodes, or None when nothing can move or the adjustment has too few inliers.
    """
    by_id = {r.id: k for k, r in enumerate(records)}
    fixed = set(fixed)
    held = [r.id for r in records if r.id in fixed]
    if len(held) < 2:   # the gauge: the first two keyframes (a monocular map's scale is their baseline)
        held = held + [r.id for r in records if r.id not in fixed][:2 - len(held)]
    order = held + [r.id for r in records if r.id not in set(held)]
    if len(order) <= len(held):
        return None
    camera_of = {key: c for c, key in enumerate(order)}
    tracks = _Tracks()
    keys = {r.id: landmark_keys(r) for r in records}
    extra_camera, extra_key, extra_ray, extra_point = [], [], [], []   # observations the loops add
    for loop in loops:
        if loop.query_id not in by_id or loop.candidate_id not in by_id or not len(loop.pairs):
            continue   # a keyframe of the loop left the map
        query, candidate = records[by_id[loop.query_id]], records[by_id[loop.candidate_id]]
        q, c = loop.pairs[:, 0], loop.pairs[:, 1]
        ck = keys[candidate.id][c]
        new = ck < 0   # a candidate point no track holds: a landmark of its own, seen by the candidate ...
        ck = np.where(new, -(candidate.id * KEYPOINT_STRIDE + c) - 2, ck)
        extra_camera.append(np.full(int(new.sum()), camera_of[candidate.id]))
        extra_key.append(ck[new])
        extra_ray.append(candidate.normalized[c[new]])
        extra_point.append(_transform(nodes[candidate.id], candidate.points[c[new]].astype(np.float64)))
        qk = keys[query.id][q]
        for a, b in zip(qk[qk >= 0].tolist(), ck[qk >= 0].tolist()):
            tracks.union(a, b)
        unlinked = qk < 0   # ... and by the query where its keypoint had none
        extra_camera.append(np.full(int(unlinked.sum()), camera_of[query.id]))
        extra_key.append(ck[unlinked])
        extra_ray.append(query.normalized[q[unlinked]])
        extra_point.append(np.full((int(unlinked.sum()), 3), np.nan))

    camera, key, ray, point = [], [], [], []
    for r in records:
        index = np.flatnonzero(keys[r.id] >= 0)
        camera.append(np.full(len(index), camera_of[r.id]))
        key.append(keys[r.id][index])
        ray.append(r.normalized[index])
        point.append(_transform(nodes[r.id], r.points[index].astype(np.float64)))   # NaN where it has none
    camera = np.concatenate(camera + extra_camera).astype(np.int64)
    key = tracks.roots(np.concatenate(key + extra_key).astype(np.int64))
    ray = np.concatenate(ray + extra_ray).astype(np.float64)
    point = np.concatenate(point + extra_point)

    # One observation per (camera, landmark); a landmark needs a position (the mean of its keyframes' estimates),
    # two cameras and one free camera among them.
    _, first = np.unique(np.stack([camera, key], axis=1), axis=0, return_index=True)
    first.sort()
    camera, key, ray, point = camera[first], key[first], ray[first], point[first]
    ids, landmark = np.unique(key, return_inverse=True)
    known = np.isfinite(point[:, 2])
    count = np.bincount(landmark, minlength=len(ids))
    estimates = np.bincount(landmark, weights=known, minlength=len(ids))
    moving = np.bincount(landmark, weights=camera >= len(held), minlength=len(ids))
    position = np.stack([np.bincount(landmark[known], weights=point[known, d], minlength=len(ids))
                         for d in range(3)], axis=1) / np.maximum(estimates, 1)[:, None]
    usable = (count >= 2) & (estimates > 0) & (moving > 0)
    keep = usable[landmark]
    if not keep.any():
        return None
    point_index = (np.cumsum(usable) - 1)[landmark[keep]]
    T_camera_world = np.stack([np.linalg.inv(rigid(nodes[k])) for k in order])
    T_camera_world, X, inliers = bundle_adjust(T_camera_world, position[usable], camera[keep], point_index,
                                               ray[keep], focal, threshold_px, fixed=len(held),
                                               iterations=iterations)
    share = float(inliers.mean())
    if share < MIN_INLIER_SHARE:
        return None
    adjusted = {}
    cameras = camera[keep]
    for c in range(len(held), len(order)):
        record = records[by_id[order[c]]]
        T_world_camera = np.linalg.inv(T_camera_world[c])
        # The keyframe's unit in the world: its own points' depths against the adjusted ones (frames tracked from
        # it move at that scale).
        s = decompose(nodes[record.id])[2]
        rows = np.flatnonzero((cameras == c) & inliers)
        if len(rows) >= MIN_SCALE_POINTS:
            own = _own_depths(record, keys[record.id], tracks, ids[usable][point_index[rows]])
            depth = _transform(T_camera_world[c], X[point_index[rows]])[:, 2]
            good = np.isfinite(own) & (own > 0) & (depth > 0)
            if good.sum() >= MIN_SCALE_POINTS:
                s = float(np.exp(np.median(np.log(depth[good] / own[good]))))
        adjusted[record.id] = make_sim3(T_world_camera[:3, :3], T_world_camera[:3, 3], s)
    return Adjustment(adjusted, int(keep.sum()), int(usable.sum()), share)


def _own_depths(record: KeyframeRecord, keys: np.ndarray, tracks: _Tracks, landmarks: np.ndarray) -> np.ndarray:
    """The record's own depth (its points, odometry units) of each landmark in `landmarks` (NaN where it has none)."""
    roots = tracks.roots(np.where(keys >= 0, keys, -1))
    valid = keys >= 0
    lookup = dict(zip(roots[valid].tolist(), record.points[valid, 2].astype(np.float64).tolist()))
    return np.array([lookup.get(int(k), np.nan) for k in landmarks])
