# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The twist's covariance: the uncertainty of the motion between two consecutive frames, over the time step squared.

Each frame's pose is its keyframe's pose times a relative pose, solved on its own (`PoseSolver.frame_covariance`):
the frame's covariance is the keyframe's plus that relative part. The motion between two frames is therefore:

- same keyframe: the two relative errors (the keyframe's error is common and cancels): relative + relative;
- a newer keyframe: what the covariance grew by between the two frames (the keyframe chain from the previous frame,
  plus this frame's relative part), never less than this frame's relative part.

No ROS here: the node rotates the result into the child frame (`rotate_covariance`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .pose_solvers import TrackingState
from .tracker import HELD_VARIANCE


@dataclass(frozen=True)
class PoseUncertainty:
    """What the twist covariance needs of a frame (`FrameResult`): 6 x 6 over (x y z roll pitch yaw), world frame."""

    stamp: float
    covariance: np.ndarray           # the frame's, accumulated (the keyframe's included)
    relative_covariance: np.ndarray  # the part relative to the keyframe it was matched against
    keyframe_id: int
    state: TrackingState

    @classmethod
    def of(cls, result) -> "PoseUncertainty":
        return cls(result.stamp, result.covariance, result.relative_covariance, result.keyframe_id, result.state)


def nearest_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric positive semi-definite matrix nearest `matrix` (negative eigenvalues set to zero)."""
    symmetric = (matrix + matrix.T) / 2
    values, vectors = np.linalg.eigh(symmetric)
    return (vectors * np.clip(values, 0.0, None)) @ vectors.T


def motion_covariance(previous: PoseUncertainty, current: PoseUncertainty) -> np.ndarray:
    """Covariance (6 x 6, world frame) of the pose difference between two consecutive frames."""
    if current.keyframe_id == previous.keyframe_id:
        return previous.relative_covariance + current.relative_covariance
    # A newer keyframe: the accumulated covariance grew by the chain plus this frame's part; an older or reset
    # keyframe can make the difference smaller than that, so this frame's part is the floor.
    grown = nearest_psd(current.covariance - previous.covariance - current.relative_covariance)
    return grown + current.relative_covariance


def twist_covariance(previous: Optional[PoseUncertainty], current: PoseUncertainty,
                     floor: float = 1e-12) -> np.ndarray:
    """Covariance (6 x 6, world axes) of the twist (the velocity of the pose difference): motion / dt^2.

    No previous frame, a time step that is not positive, or a pose held (state not TRACKING): the twist is not a
    measurement, its variance is HELD_VARIANCE (finite, as ROS wants). `floor` keeps the diagonal positive (an exact
    solve still has some uncertainty, and a zero variance reads as "unknown" to some consumers).
    """
    held = np.eye(6) * HELD_VARIANCE
    if previous is None or current.state != TrackingState.TRACKING:
        return held
    dt = current.stamp - previous.stamp
    if not dt > 0:
        return held
    covariance = nearest_psd(motion_covariance(previous, current)) / dt ** 2
    if not np.all(np.isfinite(covariance)):
        return held
    return covariance + np.eye(6) * floor


def rotate_covariance(covariance: np.ndarray, R_to_from: np.ndarray) -> np.ndarray:
    """A 6 x 6 (translation, rotation) covariance in the axes of another frame: R_to_from (3 x 3) on both blocks."""
    rotate = np.kron(np.eye(2), R_to_from)
    return rotate @ covariance @ rotate.T
