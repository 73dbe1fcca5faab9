# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Similarity transforms as 4 x 4 matrices [s R | t; 0 0 0 1]: x_a = s R x_b + t (a rigid transform has s = 1).

`S_a_b` maps points of frame b (in b's units) into frame a, as `vo.transforms` names rigid ones. A keyframe's node
in the pose graph is `S_world_keyframe`; the camera pose it gives is its rigid part (`rigid`): the rotation R and
the position t, since the scale only says how long the keyframe's own unit is in the world.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def make_sim3(R: np.ndarray, t: np.ndarray, s: float = 1.0) -> np.ndarray:
    S = np.eye(4)
    S[:3, :3], S[:3, 3] = s * np.asarray(R, dtype=np.float64), t
    return S


def scale_of(S: np.ndarray) -> float:
    return float(np.cbrt(np.linalg.det(S[:3, :3])))


def decompose(S: np.ndarray):
    """(R, t, s) of a similarity."""
    s = scale_of(S)
    return S[:3, :3] / s, S[:3, 3].copy(), s


def invert_sim3(S: np.ndarray) -> np.ndarray:
    R, t, s = decompose(S)
    return make_sim3(R.T, -(R.T @ t) / s, 1.0 / s)


def rigid(S: np.ndarray) -> np.ndarray:
    """The camera pose of a world-from-camera similarity: its rotation and position, scale dropped."""
    R, t, _ = decompose(S)
    U, _, Vt = np.linalg.svd(R)  # re-orthonormalise: products of many similarities wander off SO(3)
    return make_sim3(U @ Vt, t)


def rotation_deg(R: np.ndarray) -> float:
    return float(np.degrees(np.linalg.norm(Rotation.from_matrix(R).as_rotvec())))
