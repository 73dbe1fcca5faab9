# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A synthetic sequence: one trajectory through the scene of one seed, rendered frame by frame with exact ground truth.

    sequence = SyntheticSequence(trajectory="orbit", frames=300, size=(640, 480), seed=0)
    stamp, rgb, depth, T_world_camera = sequence.frame(i)
    drive = SyntheticSequence(trajectory="street", frames=2000, size=(640, 480), seed=0, fps=10.0)   # KITTI-like

The trajectory picks the world: `street` drives through the street grid, `lookalike` passes the look-alike
hall's twin bays, the others move in the room.
`relative_poses()` gives the ground truth in the VO convention: the first frame at the identity.
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np

from lightglue_ros.vo.camera import CameraModel

from .hall import build_hall_scene
from .renderer import Renderer
from .scene import Scene, build_scene
from .street import build_street_scene
from .trajectories import TRAJECTORIES

FOCAL_PER_WIDTH = 0.8                     # fx = fy = 0.8 * width: about 64 degrees horizontal field of view
# The scene (of a seed) a trajectory moves in: the room unless named here.
WORLDS = {"street": build_street_scene, "lookalike": build_hall_scene}


def synthetic_camera(width: int, height: int) -> CameraModel:
    """The pinhole camera of the sequences: no distortion, principal point at the image centre."""
    f = FOCAL_PER_WIDTH * width
    return CameraModel(f, f, (width - 1) / 2, (height - 1) / 2, width, height)


class SyntheticSequence:
    """Frames of one trajectory through the scene of one seed; deterministic for (trajectory, frames, size, seed, fps).

    Frame i is at stamp i / fps; poses are world-from-camera in the world frame. The motion is a function of time,
    so fps only samples it: the default 30 suits the room, 10 is KITTI's rate for `street`.
    """

    def __init__(self, trajectory: str = "orbit", frames: int = 300, size: Tuple[int, int] = (640, 480),
                 seed: int = 0, fps: float = 30.0):
        if trajectory not in TRAJECTORIES:
            raise ValueError(f"unknown trajectory {trajectory!r}: use one of {', '.join(TRAJECTORIES)}")
        if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1:
            raise ValueError(f"frames={frames!r}: must be a positive integer")
        width, height = (int(v) for v in size)
        if width < 16 or height < 16:
            raise ValueError(f"size={size}: at least 16x16")
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps={fps}: must be positive")
        self.trajectory, self.seed, self.fps = trajectory, int(seed), float(fps)
        self.camera = synthetic_camera(width, height)
        self.stamps = np.arange(frames) / self.fps
        # The trajectory's randomness has its own stream so that it does not depend on the scene's.
        path = TRAJECTORIES[trajectory](np.random.default_rng([self.seed, 1]), float(self.stamps[-1]))
        self.poses = np.stack([path(t) for t in self.stamps])
        self._renderer = None

    @property
    def scene(self) -> Scene:
        return WORLDS.get(self.trajectory, build_scene)(self.seed)

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:  # the scene is built on the first frame, not when only poses are wanted
            self._renderer = Renderer(self.scene, self.camera)
        return self._renderer

    def __len__(self) -> int:
        return len(self.stamps)

    def frame(self, i: int) -> Tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """(stamp, rgb H x W x 3 uint8, depth H x W float32 metres, T_world_camera 4 x 4)."""
        if not 0 <= i < len(self):
            raise IndexError(f"frame {i} of a {len(self)}-frame sequence")
        rgb, depth = self.renderer.render(self.poses[i])
        return float(self.stamps[i]), rgb, depth, self.poses[i].copy()

    def __iter__(self):
        return (self.frame(i) for i in range(len(self)))

    def relative_poses(self) -> np.ndarray:
        """Ground truth in the VO convention: T_first_camera for every frame (the first is the identity)."""
        return np.linalg.inv(self.poses[0]) @ self.poses

    @property
    def path_length(self) -> float:
        return float(np.linalg.norm(np.diff(self.poses[:, :3, 3], axis=0), axis=1).sum())
