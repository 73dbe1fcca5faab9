# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Camera intrinsics and lens distortion, as carried by a ROS CameraInfo message.

The tracker works on undistorted, normalized image coordinates (x/z, y/z); `CameraModel.undistort_points` is the
one place pixels become rays. Supported distortion models are those of `sensor_msgs/CameraInfo`:
`plumb_bob` (k1 k2 p1 p2 [k3]), `rational_polynomial` (k1 k2 p1 p2 k3 k4 k5 k6) and `equidistant`
(fisheye k1 k2 k3 k4). An empty or all-zero D means an ideal pinhole.
"""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

# Accepted lengths of D per model (CameraInfo convention; plumb_bob is often published with 4 or 5 numbers).
DISTORTION_MODELS = {
    "plumb_bob": (0, 4, 5),
    "rational_polynomial": (0, 8),
    "equidistant": (0, 4),
    "none": (0,),
}


class CameraModel:
    """Pinhole intrinsics plus a CameraInfo distortion model; validated on construction."""

    def __init__(self, fx: float, fy: float, cx: float, cy: float, width: int, height: int,
                 distortion_model: str = "plumb_bob", D: Sequence[float] = ()):
        values = {"fx": fx, "fy": fy, "cx": cx, "cy": cy}
        for name, value in values.items():
            if not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
                raise ValueError(f"camera {name}={value!r}: must be a finite number")
        if fx <= 0 or fy <= 0:
            raise ValueError(f"camera focal lengths must be positive, got fx={fx}, fy={fy} "
                             "(an all-zero K usually means the camera is not calibrated)")
        for name, value in (("width", width), ("height", height)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"camera {name}={value!r}: must be a positive integer")
        model = distortion_model or "none"
        if model not in DISTORTION_MODELS:
            raise ValueError(f"distortion model {distortion_model!r} is not supported; "
                             f"use one of {', '.join(DISTORTION_MODELS)}")
        D = np.asarray(D, dtype=np.float64).reshape(-1)
        if D.size not in DISTORTION_MODELS[model]:
            raise ValueError(f"distortion model {model!r} takes "
                             f"{' or '.join(map(str, DISTORTION_MODELS[model]))} coefficients, got {D.size}")
        if not np.all(np.isfinite(D)):
            raise ValueError(f"distortion coefficients must be finite, got {D.tolist()}")
        self.fx, self.fy, self.cx, self.cy = float(fx), float(fy), float(cx), float(cy)
        self.width, self.height = int(width), int(height)
        self.distortion_model = model
        self.D = D
        self.K = np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @classmethod
    def from_camera_info(cls, K: Sequence[float], D: Sequence[float], distortion_model: str,
                         width: int, height: int, P: Sequence[float] = (), rectified: bool = False,
                         binning: Sequence[int] = (0, 0), roi: Sequence[int] = (0, 0, 0, 0)) -> "CameraModel":
        """The camera of the images a CameraInfo describes (K, P row-major; roi = x_offset y_offset width height).

        `rectified`: the images are rectified (`image_proc`'s image_rect), so their intrinsics are P's and they
        have no distortion; a raw image uses K and D. Binning and a region of interest map the full-sensor
        calibration onto the image as image_geometry does: image pixel (u, v) is sensor pixel
        (u * binning_x + x_offset, v * binning_y + y_offset); D stays as it is, since it acts on normalised rays.
        """
        K = np.asarray(K, dtype=np.float64).reshape(-1)
        if K.size != 9:
            raise ValueError(f"CameraInfo K must have 9 entries, got {K.size}")
        if not np.all(np.isfinite(K)):
            raise ValueError(f"CameraInfo K must be finite, got {K.tolist()}")
        bx, by = (max(int(b), 1) for b in binning)
        x0, y0, roi_width, roi_height = (int(v) for v in roi)
        full_roi = (x0, y0) == (0, 0) and roi_width in (0, width) and roi_height in (0, height)
        if rectified:
            P = np.asarray(P, dtype=np.float64).reshape(-1)
            if P.size != 12 or not np.all(np.isfinite(P)) or P[0] <= 0 or P[5] <= 0:
                raise ValueError(f"rectified_images is set but the CameraInfo P is not a projection matrix "
                                 f"({P.tolist()}); publish P, or set rectified_images false for raw images")
            if not full_roi:
                raise ValueError("a rectified image with a region of interest is not supported (its rectified ROI "
                                 "depends on the lens); track the raw image (rectified_images false) instead")
            fx, fy, cx, cy, distortion_model, D = P[0], P[5], P[2], P[6], "none", ()
        else:
            fx, fy, cx, cy = K[0], K[4], K[2], K[5]
        if not full_roi:
            cx, cy, width, height = cx - x0, cy - y0, roi_width, roi_height
        return cls(fx / bx, fy / by, cx / bx, cy / by, int(width) // bx, int(height) // by, distortion_model, D)

    @property
    def parameters(self) -> tuple:
        """Everything that defines the camera: two models with equal parameters project alike."""
        return (self.fx, self.fy, self.cx, self.cy, self.width, self.height, self.distortion_model,
                tuple(self.D.tolist()))

    @property
    def is_distorted(self) -> bool:
        return bool(np.any(self.D != 0))

    @property
    def focal(self) -> float:
        """Mean focal length: converts pixel thresholds to normalized-coordinate thresholds."""
        return 0.5 * (self.fx + self.fy)

    def undistort_points(self, points: np.ndarray) -> np.ndarray:
        """Pixels (N x 2) to undistorted normalized coordinates (N x 2)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0 or not self.is_distorted:
            return np.stack([(points[:, 0] - self.cx) / self.fx, (points[:, 1] - self.cy) / self.fy], axis=1)
        src = points.reshape(-1, 1, 2)
        if self.distortion_model == "equidistant":
            out = cv2.fisheye.undistortPoints(src, self.K, self.D)
        else:
            # Iterative undistortion; the default 5 iterations are not enough for strong rational lenses.
            criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-10)
            out = cv2.undistortPoints(src, self.K, self.D, None, None, None, criteria)
        return out.reshape(-1, 2)

    def distort_points(self, normalized: np.ndarray) -> np.ndarray:
        """Undistorted normalized coordinates (N x 2) to pixels (N x 2): the inverse of `undistort_points`."""
        normalized = np.asarray(normalized, dtype=np.float64).reshape(-1, 2)
        if len(normalized) == 0 or not self.is_distorted:
            return normalized * [self.fx, self.fy] + [self.cx, self.cy]
        rays = np.concatenate([normalized, np.ones((len(normalized), 1))], axis=1).reshape(-1, 1, 3)
        zero = np.zeros(3)
        if self.distortion_model == "equidistant":
            out = cv2.fisheye.projectPoints(rays, zero, zero, self.K, self.D)[0]
        else:
            out = cv2.projectPoints(rays, zero, zero, self.K, self.D)[0]
        return out.reshape(-1, 2)

    def __repr__(self) -> str:
        return (f"CameraModel(fx={self.fx:g}, fy={self.fy:g}, cx={self.cx:g}, cy={self.cy:g}, "
                f"{self.width}x{self.height}, {self.distortion_model}, D={self.D.tolist()})")
