# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Rigid transforms as 4 x 4 matrices.

Naming: `T_a_b` maps points of frame b into frame a, x_a = R x_b + t, so `T_a_b @ T_b_c` is `T_a_c` and
`invert_transform(T_a_b)` is `T_b_a`. Every function also takes stacks (... x 3 x 3 rotations, ... x 3 translations).
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def make_transform(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """[R | t] as a 4 x 4 matrix (or a stack of them)."""
    R = np.asarray(R, dtype=np.float64)
    T = np.zeros(R.shape[:-2] + (4, 4))
    T[..., :3, :3], T[..., :3, 3], T[..., 3, 3] = R, t, 1.0
    return T


def invert_transform(T: np.ndarray) -> np.ndarray:
    """T_b_a from T_a_b, in closed form (R^T, -R^T t)."""
    R_inv = np.swapaxes(T[..., :3, :3], -1, -2)
    return make_transform(R_inv, -(R_inv @ T[..., :3, 3:4])[..., 0])


def transform_from_quaternion(position, quaternion_xyzw) -> np.ndarray:
    """4 x 4 from a position and a unit quaternion in ROS / TUM order (x, y, z, w)."""
    return make_transform(Rotation.from_quat(quaternion_xyzw).as_matrix(), position)
