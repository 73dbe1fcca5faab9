# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Geometric verification of a place-recognition candidate: LightGlue, then PnP on the candidate's 3D points.

The query and the candidate keyframe are matched with the project's own matcher (their stored keypoints and
descriptors re-encoded: the frontend frees a keyframe's encoding once it is no longer matched), the matches with a
candidate point give a PnP RANSAC pose (`cv2.solvePnPRansac`, refined on its inliers), and the query's own points
give the scale between the two keyframes' units (monocular: each keyframe's points are at the running scale of
when it was made, which drifts). The result is `S_candidate_query`, a similarity (a rigid transform when metric).

Refused (with the reason): too few inliers or too low a share of the matches, inliers covering too little of the
query image (a loop resting on one textured corner), too few query points for the scale, or a scale the points
disagree on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict

import cv2
import numpy as np

from .config import SlamConfig
from .database import KeyframeRecord
from .sim3 import make_sim3

GRID = 4                        # the spread's grid over the query image, GRID x GRID cells
MAX_SCALE_SPREAD = 0.25         # monocular: the points' log scale ratios, median absolute deviation at most this
RANSAC_ITERATIONS = 2000
ENCODING_CACHE = 8              # re-encoded keyframes kept (the same candidates come back for consecutive queries)


@dataclass
class LoopMeasurement:
    query_id: int
    candidate_id: int
    S_candidate_query: np.ndarray   # 4 x 4 similarity: query coordinates (its units) -> candidate coordinates
    matches: int = 0
    inliers: int = 0
    spread: float = 0.0
    scale: float = 1.0              # candidate units per query unit
    reason: str = ""                # why it was refused; "" when verified
    # K x 2 (query keypoint, candidate keypoint): the inliers, for the map's bundle adjustment
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    @property
    def ok(self) -> bool:
        return not self.reason


class LoopVerifier:
    """Verifies candidates with the project's matcher (shared with the tracker: matching has no state)."""

    def __init__(self, matcher, config: SlamConfig, focal: float):
        self.matcher, self.config, self.focal = matcher, config, float(focal)
        self._encoded: Dict[int, object] = {}

    def encode(self, record: KeyframeRecord):
        """The record's features encoded by LightGlue on the matcher's device (a few kept for the next queries)."""
        if record.id in self._encoded:
            return self._encoded[record.id]
        import torch

        from ..models.matching import Features

        device = self.matcher.device
        features = Features(torch.from_numpy(record.keypoints.astype(np.float32)).to(device),
                            torch.ones(len(record.keypoints), device=device),
                            torch.from_numpy(record.descriptors.astype(np.float32)).to(device), record.image_size)
        with torch.inference_mode():
            encoded = self.matcher.encode(features)
        if len(self._encoded) >= ENCODING_CACHE:
            self._encoded.pop(next(iter(self._encoded)))
        self._encoded[record.id] = encoded
        return encoded

    def forget(self, key: int) -> None:
        self._encoded.pop(key, None)

    def verify(self, query: KeyframeRecord, candidate: KeyframeRecord) -> LoopMeasurement:
        cfg = self.config
        result = LoopMeasurement(query.id, candidate.id, np.eye(4))
        import torch

        with torch.inference_mode():
            match = self.matcher.match(self.encode(candidate), self.encode(query))
        m = match.matches
        m = m[candidate.known[m[:, 0]]]
        result.matches = len(m)
        if len(m) < cfg.min_inliers:
            result.reason = f"{len(m)} matches with a 3D point < {cfg.min_inliers}"
            return result
        objects = candidate.points[m[:, 0]].astype(np.float64)
        rays = query.normalized[m[:, 1]].astype(np.float64)
        threshold = cfg.pnp_threshold_px / self.focal
        try:
            ok, rvec, tvec, inliers = cv2.solvePnPRansac(
                objects, rays, np.eye(3), None, iterationsCount=RANSAC_ITERATIONS, reprojectionError=threshold,
                confidence=0.9999, flags=cv2.SOLVEPNP_EPNP)
        except cv2.error as exc:
            result.reason = f"PnP failed: {exc.msg if hasattr(exc, 'msg') else exc}"
            return result
        if not ok or inliers is None or len(inliers) < cfg.min_inliers:
            result.reason = f"PnP inliers {0 if inliers is None else len(inliers)} < {cfg.min_inliers}"
            return result
        inliers = inliers.ravel()
        rvec, tvec = cv2.solvePnPRefineLM(objects[inliers], rays[inliers], np.eye(3), None, rvec, tvec)
        R, t = cv2.Rodrigues(rvec)[0], tvec.ravel()
        # Inliers again after the refinement, in front of the camera.
        Xq = objects @ R.T + t
        projected = Xq[:, :2] / np.where(np.abs(Xq[:, 2:]) > 1e-12, Xq[:, 2:], 1e-12)
        inlier = (Xq[:, 2] > 0) & (np.linalg.norm(projected - rays, axis=1) < threshold)
        result.inliers = int(inlier.sum())
        if result.inliers < cfg.min_inliers:
            result.reason = f"PnP inliers {result.inliers} < {cfg.min_inliers}"
            return result
        if result.inliers < cfg.min_inlier_ratio * len(m):
            result.reason = f"PnP inlier ratio {result.inliers / len(m):.2f} < {cfg.min_inlier_ratio}"
            return result
        width, height = query.image_size
        cells = np.floor(query.keypoints[m[inlier, 1]] / [width / GRID, height / GRID]).astype(int)
        cells = np.clip(cells, 0, GRID - 1)
        result.spread = len({(int(a), int(b)) for a, b in cells}) / GRID ** 2
        if result.spread < cfg.min_spread:
            result.reason = f"inliers cover {result.spread:.2f} of the image < {cfg.min_spread}"
            return result
        s = 1.0
        if not (query.metric and candidate.metric):
            both = inlier & query.known[m[:, 1]]
            if both.sum() < cfg.min_scale_points:
                result.reason = f"{int(both.sum())} inliers with a query point for the scale < {cfg.min_scale_points}"
                return result
            own = np.linalg.norm(query.points[m[both, 1]].astype(np.float64), axis=1)
            log_ratio = np.log(np.maximum(own, 1e-12) / np.maximum(np.linalg.norm(Xq[both], axis=1), 1e-12))
            spread = float(np.median(np.abs(log_ratio - np.median(log_ratio))))
            if spread > MAX_SCALE_SPREAD:
                result.reason = f"the points disagree on the scale (log-ratio MAD {spread:.2f})"
                return result
            s = float(np.exp(np.median(log_ratio)))          # query units per candidate unit
        result.scale = 1.0 / s
        # X_query = s (R X_candidate + t)  =>  X_candidate = (1/s) R^T X_query - R^T t
        result.S_candidate_query = make_sim3(R.T, -R.T @ t, 1.0 / s)
        result.pairs = np.stack([m[inlier, 1], m[inlier, 0]], axis=1).astype(np.int64)
        return result
