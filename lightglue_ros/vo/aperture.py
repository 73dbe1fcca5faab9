# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""How well the image pins a keypoint down along its epipolar line (the aperture problem).

Triangulation reads a point's depth from where its keypoints sit along their epipolar lines. A keypoint on an edge
that runs along the epipolar line (a horizontal edge for a camera moving sideways, the grout lines of a tiled
ceiling) can slide along the edge from one image to the next: its match still passes the epipolar test, but the
depth it gives is arbitrary, and such points are often many and alike, so they bias the scale together.

The image structure tensor around a keypoint, M = sum over a window of g g^T (g the image gradient), tells how
strongly each direction is constrained: d^T M d / (|d|^2 trace M) is the share of the gradient energy along the
unit direction d: near 0 on an edge parallel to d, 1/2 on a corner or blob, near 1 across an edge.
"""
from __future__ import annotations

import cv2
import numpy as np


def structure_tensors(image: np.ndarray, keypoints: np.ndarray, window: int = 7) -> np.ndarray:
    """Per keypoint (N x 2 pixels) the structure tensor of the image around it, as N x 3 (xx, xy, yy).

    The tensor sums the `window` x `window` image gradients (central differences) around the keypoint in the uint8
    image (mono or RGB). Only the keypoints' patches are read: a few ms for 1000 keypoints at any image size.
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    r = window // 2 + 1                      # the gradients' patch plus one pixel for the differences
    padded = np.pad(gray, r, mode="edge")
    height, width = gray.shape
    x = np.clip(np.round(keypoints[:, 0]).astype(np.int64), 0, width - 1) + r
    y = np.clip(np.round(keypoints[:, 1]).astype(np.int64), 0, height - 1) + r
    offsets = np.arange(-r, r + 1)
    patch = padded[y[:, None, None] + offsets[:, None], x[:, None, None] + offsets].astype(np.float32) / 255.0
    gx = 0.5 * (patch[:, 1:-1, 2:] - patch[:, 1:-1, :-2])
    gy = 0.5 * (patch[:, 2:, 1:-1] - patch[:, :-2, 1:-1])
    return np.stack([np.sum(gx * gx, axis=(1, 2)), np.sum(gx * gy, axis=(1, 2)), np.sum(gy * gy, axis=(1, 2))],
                    axis=1).astype(np.float64)


def gradient_share(tensors: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Share of each keypoint's gradient energy along its direction (N x 2, any length).

    d^T M d / (|d|^2 tr M), 0 where either is zero.
    """
    xx, xy, yy = tensors.T
    dx, dy = directions.T
    along = dx * dx * xx + 2.0 * dx * dy * xy + dy * dy * yy
    total = (dx * dx + dy * dy) * (xx + yy)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, along / total, 0.0)


def epipolar_directions(normalized: np.ndarray, epipole: np.ndarray, focal_xy: np.ndarray) -> np.ndarray:
    """Pixel direction of the epipolar line through each keypoint (N x 2 undistorted normalized coordinates).

    `epipole`: the other camera's centre in this camera's coordinates (possibly at infinity).
    """
    return (epipole[:2] - normalized * epipole[2]) * focal_xy
