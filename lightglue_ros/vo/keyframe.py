# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The keyframe every frame is matched to, and when to replace it.

A keyframe keeps the matcher's features and cached encoding on the compute device (they are reused for every
frame until the next keyframe), its keypoints in pixels and as undistorted rays, its pose, and the 3D points that
carry the running scale (keyframe coordinates, NaN where unknown).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .config import VOConfig


@dataclass
class Keyframe:
    id: int
    stamp: float
    frame_index: int
    T_world_camera: np.ndarray      # 4 x 4
    covariance: np.ndarray          # 6 x 6 pose covariance at creation (x y z, rotation), world frame
    encoded: Any                    # matcher EncodedFeatures (features included), on the compute device
    keypoints: np.ndarray           # N x 2 pixels
    normalized: np.ndarray          # N x 2 undistorted normalized coordinates
    structure: np.ndarray           # N x 3 image structure tensor per keypoint (aperture.structure_tensors)
    points: np.ndarray              # N x 3 keyframe coordinates at the tracker's scale, NaN where unknown
    point_angles: np.ndarray        # N triangulation angle (radians) of each point; inf for measured depth
    metric: bool = False            # points come from a depth sensor (metres)
    landmarks: Optional[np.ndarray] = None  # N local-map landmark id per keypoint, -1 for none (monocular)
    descriptors: Optional[np.ndarray] = None  # N x D float16 copy of the features' descriptors (monocular)
    wheel_baseline: Optional[float] = None  # metres from the previous keyframe by the motion prior (monocular)

    @property
    def known(self) -> np.ndarray:
        return np.isfinite(self.points[:, 2])

    @property
    def num_points(self) -> int:
        return int(self.known.sum())

    @property
    def median_depth(self) -> float:
        """Scene depth at the tracker's scale (NaN without points): re-initialises the scale after a loss."""
        return float(np.median(self.points[self.known, 2])) if self.num_points else float("nan")

    def age(self, frame_index: int) -> int:
        return frame_index - self.frame_index


class KeyframePolicy:
    """Decides when the current frame should replace the keyframe; every threshold comes from VOConfig."""

    def __init__(self, config: VOConfig):
        self.min_inliers = config.keyframe_min_inliers
        self.min_inlier_ratio = config.keyframe_min_inlier_ratio
        self.max_parallax_px = config.keyframe_max_parallax_px
        self.max_age = config.keyframe_max_age
        self.min_points = config.keyframe_min_points
        self.max_rotation_deg = config.keyframe_max_rotation_deg

    def reason(self, num_inliers: int, num_matches: int, parallax_px: float, age: int,
               num_points: Optional[int] = None, rotation_deg: float = 0.0) -> Optional[str]:
        """Why a new keyframe is needed, or None to keep the current one.

        `num_points`: inliers with a known 3D point (None while the keyframe has none, as during monocular
        initialisation); `rotation_deg`: the camera's rotation from the keyframe.
        """
        if num_inliers < self.min_inliers:
            return f"inliers {num_inliers} < {self.min_inliers}"
        ratio = num_inliers / max(num_matches, 1)
        if ratio < self.min_inlier_ratio:
            return f"inlier ratio {ratio:.2f} < {self.min_inlier_ratio}"
        if parallax_px > self.max_parallax_px:
            return f"parallax {parallax_px:.1f} px > {self.max_parallax_px}"
        if num_points is not None and num_points < self.min_points:
            return f"inliers with known points {num_points} < {self.min_points}"
        if rotation_deg > self.max_rotation_deg:
            return f"rotation {rotation_deg:.1f} deg > {self.max_rotation_deg}"
        if age >= self.max_age:
            return f"age {age} >= {self.max_age}"
        return None
