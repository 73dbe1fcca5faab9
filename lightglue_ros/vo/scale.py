# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Scale of the monocular translation: from points with known depth, from a depth image, from a motion prior.

The essential matrix gives the translation direction only. The tracker keeps, for each keyframe, 3D points in
keyframe coordinates (triangulated against the previous keyframe at the running scale, or read from a depth
image). Fitting the translation of a new frame to those points carries one consistent scale from keyframe to
keyframe; points from a depth image make it metric.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from .geometry import fit_covariance


def depth_to_metres(depth: np.ndarray) -> np.ndarray:
    """A depth image as float32 metres with NaN where invalid.

    uint16 images are millimetres (ROS 16UC1), float images are metres (32FC1); 0, NaN and inf are invalid.
    """
    depth = np.asarray(depth)
    if depth.ndim != 2:
        raise ValueError(f"depth image must be H x W, got shape {depth.shape}")
    if depth.dtype == np.uint16:
        metres = depth.astype(np.float32) / 1000.0
    elif depth.dtype in (np.float32, np.float64):
        metres = depth.astype(np.float32, copy=True)
    else:
        raise ValueError(f"depth image dtype {depth.dtype} is not supported: use uint16 millimetres (16UC1) "
                         "or float32 metres (32FC1)")
    metres[~np.isfinite(metres) | (metres <= 0)] = np.nan
    return metres


def sample_depth(depth_m: np.ndarray, keypoints_px: np.ndarray, min_m: float, max_m: float,
                 max_edge_ratio: float = 1.05) -> np.ndarray:
    """Depth (metres, NaN when missing or out of range) at each keypoint, bilinear between the 4 nearest pixels.

    Keypoints sit on corners, and many corners on occlusion edges, where the nearest pixel may belong to either
    surface (and real sensors give flying pixels). A keypoint whose 4 neighbours' depths differ by more than
    `max_edge_ratio` (largest / smallest) is on such an edge and gets NaN rather than a wrong depth.
    """
    h, w = depth_m.shape
    keypoints_px = np.asarray(keypoints_px, dtype=np.float64).reshape(-1, 2)
    z = np.full(len(keypoints_px), np.nan, dtype=np.float64)
    u0, v0 = np.floor(keypoints_px[:, 0]), np.floor(keypoints_px[:, 1])
    inside = (u0 >= 0) & (v0 >= 0) & (u0 <= w - 1) & (v0 <= h - 1) & np.isfinite(keypoints_px).all(axis=1)
    if not inside.any():
        return z
    u0, v0 = u0[inside].astype(np.int64), v0[inside].astype(np.int64)
    u1, v1 = np.minimum(u0 + 1, w - 1), np.minimum(v0 + 1, h - 1)
    a = keypoints_px[inside, 0] - u0
    b = keypoints_px[inside, 1] - v0
    corners = np.stack([depth_m[v0, u0], depth_m[v0, u1], depth_m[v1, u0], depth_m[v1, u1]], axis=1)
    weights = np.stack([(1 - a) * (1 - b), a * (1 - b), (1 - a) * b, a * b], axis=1)
    with np.errstate(invalid="ignore"):
        smooth = corners.max(axis=1) <= max_edge_ratio * corners.min(axis=1)  # False where any is NaN
    z[inside] = np.where(smooth, np.sum(weights * corners, axis=1), np.nan)
    z[(z < min_m) | (z > max_m)] = np.nan
    return z


def backproject(normalized: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Normalized coordinates (N x 2) and depths (N) -> points in camera coordinates (N x 3)."""
    return np.concatenate([normalized, np.ones((len(normalized), 1))], axis=1) * np.reshape(depth, (-1, 1))


def _project(X: np.ndarray) -> np.ndarray:
    return X[:, :2] / X[:, 2:3]


def fit_translation(R: np.ndarray, points: np.ndarray, x1: np.ndarray, threshold: float,
                    direction: np.ndarray | None = None):
    """Translation t such that x1 ~ project(R X + t) for known points X (view-0 coordinates, N x 3).

    With `direction` (unit vector) only the scale s of t = s * direction is fitted (1 degree of freedom); else all
    three components. Robust (Huber) reprojection least squares in normalized units; `threshold` (normalized units)
    sets the robust scale and the inlier test. Returns (t, inliers N bool, covariance 3 x 3) or None when the
    points cannot determine it.
    """
    points = np.asarray(points, dtype=np.float64)
    x1 = np.asarray(x1, dtype=np.float64)
    RX = points @ R.T
    h1 = np.concatenate([x1, np.ones((len(x1), 1))], axis=1)
    # Linear start: [x1]_x (R X + t) = 0, two independent rows per point.
    A = np.stack([np.stack([np.zeros(len(h1)), -h1[:, 2], h1[:, 1]], 1),
                  np.stack([h1[:, 2], np.zeros(len(h1)), -h1[:, 0]], 1)], axis=1)  # N x 2 x 3
    b = -np.einsum("nij,nj->ni", A, RX)
    if direction is not None:
        direction = np.asarray(direction, dtype=np.float64)
        a = (A @ direction).reshape(-1)
        denom = a @ a
        if denom <= 1e-12:
            return None
        p0 = np.array([a @ b.reshape(-1) / denom])
    else:
        p0 = np.linalg.lstsq(A.reshape(-1, 3), b.reshape(-1), rcond=None)[0]

    def translation(p):
        return p[0] * direction if direction is not None else p

    def residuals(p):
        X1 = RX + translation(p)
        return (_project(X1) - x1).reshape(-1)

    sol = least_squares(residuals, p0, loss="huber", f_scale=threshold, method="trf", max_nfev=50)
    t = translation(sol.x)
    X1 = RX + t
    err = np.linalg.norm(_project(X1) - x1, axis=1)
    inliers = (X1[:, 2] > 0) & (err < 3.0 * threshold)
    if inliers.sum() < 3:
        return None
    cov_p = fit_covariance(sol.jac, err[inliers], floor=1e-16)
    if cov_p is None:
        return None
    cov = np.outer(direction, direction) * cov_p[0, 0] if direction is not None else cov_p
    return t, inliers, cov


def scale_from_translation_prior(direction_world: np.ndarray, keyframe_position: np.ndarray,
                                 previous_position: np.ndarray, prior: float) -> float:
    """Scale s so that keyframe_position + s * direction_world lies `prior` away from `previous_position`.

    `direction_world` is the unit direction from the keyframe to the current camera; the prior is the distance
    travelled since `previous_position` (e.g. wheel odometry; the tracker counts it from the keyframe). The larger
    root is the one moving forward along the direction.
    """
    a = np.asarray(previous_position, dtype=np.float64) - np.asarray(keyframe_position, dtype=np.float64)
    ua = float(np.dot(direction_world, a))
    disc = ua * ua - float(a @ a) + prior * prior
    return max(ua + np.sqrt(max(disc, 0.0)), 0.0)
