# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The ray caster: a camera pose in, an RGB image and exact depth out.

All surfaces are axis-aligned, so each pixel's ray is intersected in closed form: the bounds' exit point is the
nearest of three slab planes, a box is a slab test on the pixels inside its projected bounding rectangle only.
Texture lookup is one bilinear `cv2.remap` into the scene's atlas (lighting baked in), so a 640x480 frame costs
about ten milliseconds on the CPU, in the room or the street grid. Depth is the z of the camera-frame point
(metres), exact for every pixel centre.
"""
from __future__ import annotations

import functools
from typing import List, Tuple

import cv2
import numpy as np

from lightglue_ros.vo.camera import CameraModel

from .scene import Box, Scene

NEAR = 0.01                               # metres; box corners closer than this are clipped for the bounds
# The 12 edges of a box as corner index pairs (corners differ in one coordinate bit).
BOX_EDGES = np.array([(i, j) for i in range(8) for j in range(i + 1, 8) if bin(i ^ j).count("1") == 1]).T


class Renderer:
    """Ray caster for one scene and one camera; `render(T_world_camera)` -> (rgb uint8, depth float32 metres).

    Work is whole-image NumPy operations into preallocated buffers (allocation costs more than the arithmetic
    here). A pixel's world ray direction is affine in its column and row, so each component is one broadcast add.
    Face ids are those of `scene`.
    """

    def __init__(self, scene: Scene, camera: CameraModel):
        self.scene, self.camera = scene, camera
        h, w = camera.height, camera.width
        self.x = ((np.arange(w) - camera.cx) / camera.fx).astype(np.float32)   # camera-frame rays (x, y, 1):
        self.y = ((np.arange(h) - camera.cy) / camera.fy).astype(np.float32)   # the ray parameter is the depth
        self.box_corners = [np.array(np.meshgrid(*zip(b.lo, b.hi), indexing="ij")).reshape(3, -1).T
                            for b in scene.boxes]
        f32 = functools.partial(np.empty, (h, w), np.float32)
        self.D, self.inv = np.empty((3, h, w), np.float32), np.empty((3, h, w), np.float32)
        self.a, self.b, self.best, self.depth, self.map_x, self.map_y = (f32() for _ in range(6))
        self.side, self.mask = np.empty((h, w), bool), np.empty((h, w), bool)
        self.face = np.empty((h, w), np.uint16)          # face ids: up to 10921 boxes
        self.face_axis = scene.face_axis

    def _ray_component(self, R_row: List[float], out: np.ndarray) -> np.ndarray:
        """One world component of every pixel's ray direction: r0 x + r1 y + r2 (one broadcast add)."""
        return np.add(R_row[0] * self.x[None, :], (R_row[1] * self.y + R_row[2])[:, None], out=out)

    def render(self, T_world_camera: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        # Python floats keep the arithmetic in float32 (NumPy scalars of float64 would promote it).
        R, o = T_world_camera[:3, :3].tolist(), T_world_camera[:3, 3].tolist()
        a, b, best, face, side, mask, D = self.a, self.b, self.best, self.face, self.side, self.mask, self.D
        for axis in range(3):
            self._ray_component(R[axis], D[axis])
        # Inside the bounds, a ray heading to +axis leaves through the hi plane, else the lo plane; as inverse
        # depths D_a / (plane - o_a) that is the larger of the two. The exit is the largest over the three axes.
        for axis in range(3):
            np.multiply(D[axis], 1.0 / (float(self.scene.hi[axis]) - o[axis]), out=a)
            np.multiply(D[axis], 1.0 / (float(self.scene.lo[axis]) - o[axis]), out=b)
            np.greater(a, b, out=side)
            if axis == 0:
                np.maximum(a, b, out=best)
                np.copyto(face, side)
                continue
            np.maximum(a, b, out=a)
            np.greater(a, best, out=mask)
            np.maximum(a, best, out=best)
            np.copyto(face, side + np.uint16(2 * axis), where=mask)
        depth = np.divide(1.0, best, out=self.depth)
        in_view = [(i, rect) for i, corners in enumerate(self.box_corners)
                   if (rect := self._bounds(corners, T_world_camera)) is not None]
        if in_view:
            # A zero component gives an infinite slab distance, which the slab test handles (the camera is never
            # exactly on a box plane, so there is no 0 * inf).
            with np.errstate(divide="ignore"):
                np.divide(1.0, D, out=self.inv)
            for i, rect in in_view:
                self._cast_box(self.scene.boxes[i], 6 + 6 * i, o, self.inv, rect, depth, face)
        # Texture coordinates: the hit point's two in-plane world coordinates, in texels, offset per face.
        axis_of = self.face_axis.take(face)
        u, v = self.map_x, self.map_y
        np.multiply(depth, D[0], out=u)
        u += o[0]
        np.multiply(depth, D[2], out=a)
        a += o[2]
        np.copyto(u, a, where=axis_of == 0)
        np.multiply(depth, D[1], out=v)
        v += o[1]
        np.copyto(v, a, where=axis_of == 1)
        scale = self.scene.face_scale.take(face, out=b)         # b is free by now
        u *= scale
        u += self.scene.face_offset_x.take(face)
        v *= scale
        v += self.scene.face_offset_y.take(face)
        rgba = cv2.remap(self.scene.atlas, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB), depth.copy()

    def _bounds(self, corners: np.ndarray, T_world_camera: np.ndarray):
        """Pixel rectangle (y0, y1, x0, x1) holding the box's projection, or None when it is out of view.

        The box is clipped at z = NEAR: its visible part's vertices are the corners in front plus the points where
        edges cross the near plane.
        """
        cam = self.camera
        X = (corners - T_world_camera[:3, 3]) @ T_world_camera[:3, :3]   # camera coordinates (float64)
        front = X[:, 2] > NEAR
        if not front.any():
            return None
        points = [X[front]]
        if not front.all():
            i, j = BOX_EDGES
            cross = front[i] != front[j]
            p, q = X[i[cross]], X[j[cross]]
            s = (NEAR - p[:, 2]) / (q[:, 2] - p[:, 2])
            points.append(p + s[:, None] * (q - p))
        P = np.concatenate(points)
        x = cam.fx * P[:, 0] / P[:, 2] + cam.cx
        y = cam.fy * P[:, 1] / P[:, 2] + cam.cy
        x0, x1 = max(int(np.floor(x.min())), 0), min(int(np.ceil(x.max())) + 1, cam.width)
        y0, y1 = max(int(np.floor(y.min())), 0), min(int(np.ceil(y.max())) + 1, cam.height)
        return (y0, y1, x0, x1) if x0 < x1 and y0 < y1 else None

    @staticmethod
    def _cast_box(box: Box, first_face: int, o: List[float], inv: np.ndarray, rect, depth, face) -> None:
        """Slab test on the pixels of `rect`; nearer hits overwrite depth and face in place.

        The camera is outside the box, so on each axis where it is outside the slab the ray can only enter through
        the near side (a ray heading away gets a negative exit and misses); where it is inside the slab, that axis
        only bounds the exit.
        """
        y0, y1, x0, x1 = rect
        t_near = t_far = entry = None
        for axis in range(3):
            inv_r = inv[axis, y0:y1, x0:x1]
            lo, hi = float(box.lo[axis]) - o[axis], float(box.hi[axis]) - o[axis]
            if lo <= 0 <= hi:  # inside this slab
                t_exit = np.maximum(inv_r * lo, inv_r * hi)
                t_far = t_exit if t_far is None else np.minimum(t_far, t_exit, out=t_far)
                continue
            near_side = int(hi < 0)   # camera beyond hi: enters through hi (side 1)
            t_in, t_out = (inv_r * hi, inv_r * lo) if near_side else (inv_r * lo, inv_r * hi)
            t_far = t_out if t_far is None else np.minimum(t_far, t_out, out=t_far)
            if t_near is None:
                t_near = t_in
                entry = np.full(t_in.shape, first_face + 2 * axis + near_side, face.dtype)
            else:
                np.copyto(entry, first_face + 2 * axis + near_side, where=t_in > t_near)
                np.maximum(t_near, t_in, out=t_near)
        depth_r = depth[y0:y1, x0:x1]
        hit = t_near <= t_far
        hit &= t_near > 0
        hit &= t_near < depth_r
        np.copyto(depth_r, t_near, where=hit)
        np.copyto(face[y0:y1, x0:x1], entry, where=hit)
