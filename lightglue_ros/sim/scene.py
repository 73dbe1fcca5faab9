# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The synthetic world: a closed room (floor, ceiling, four walls) with boxes standing on the floor.

World frame: x right, y down (gravity), z forward, metres; the camera height is y = 0, the floor at y = FLOOR_Y.
Every surface is an axis-aligned face with its own texture in the scene's atlas. Face ids: the room's faces 0-5,
box k's faces 6 + 6k + (0-5), each 2 * normal axis + side (0 = the lo plane, 1 = the hi plane).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import List

import numpy as np

from .textures import PAD, box_texture, finish, pack_atlas, plaster_texture, tile_texture, wood_texture

ROOM_LO = np.array([-5.0, -1.6, -5.0])    # ceiling 1.6 m above the camera height ...
ROOM_HI = np.array([5.0, 1.4, 5.0])       # ... floor 1.4 m below it
FLOOR_Y = ROOM_HI[1]
TEXEL = 0.01                              # metres per texel on every face

# Texture coordinates (u, v) of a face by its normal axis: x-faces use (z, y), y-faces (x, z), z-faces (x, y).
UV_AXES = {0: (2, 1), 1: (0, 2), 2: (0, 1)}
# Normal axis of every face id; ids fit in uint8 for up to 41 boxes.
FACE_AXIS = np.tile(np.repeat(np.arange(3, dtype=np.uint8), 2), 42)


@dataclass
class Box:
    """An axis-aligned box: its lo and hi corners (world, metres)."""

    lo: np.ndarray
    hi: np.ndarray


@dataclass
class Scene:
    """The boxes and every face's texture, packed in one atlas."""

    boxes: List[Box]
    atlas: np.ndarray             # H x W x 4 uint8 (RGB + unused alpha), every face's texture
    face_offset_x: np.ndarray     # per face: atlas x = u / TEXEL + face_offset_x (u in world metres)
    face_offset_y: np.ndarray


def random_boxes(rng: np.random.Generator) -> List[Box]:
    """A cluster in the middle (radius < 1.45 m) and furniture along the walls (more than 3.6 m out).

    The band the trajectories use (1.6 to 3.5 m from the centre) stays free.
    """
    boxes = []
    for _ in range(3):
        half = rng.uniform(0.15, 0.4, size=2)
        centre = rng.uniform(-1.0, 1.0, size=2) * (1.0 - half)
        height = rng.uniform(0.4, 1.7)
        lo = np.array([centre[0] - half[0], FLOOR_Y - height, centre[1] - half[1]])
        hi = np.array([centre[0] + half[0], FLOOR_Y, centre[1] + half[1]])
        boxes.append(Box(lo, hi))
    for _ in range(8):
        axis, sign = int(rng.integers(0, 2)) * 2, rng.choice([-1.0, 1.0])   # wall at x = +-5 or z = +-5
        half = rng.uniform(0.2, 0.55, size=3)
        along = rng.uniform(-4.3, 4.3)
        centre = np.zeros(3)
        centre[axis] = sign * (ROOM_HI[axis] - half[axis] - rng.uniform(0.0, 0.25))
        centre[2 - axis] = along
        height = rng.uniform(0.3, 2.2)
        lo = np.array([centre[0] - half[0], FLOOR_Y - height, centre[2] - half[2]])
        hi = np.array([centre[0] + half[0], FLOOR_Y, centre[2] + half[2]])
        boxes.append(Box(np.maximum(lo, ROOM_LO), np.minimum(hi, ROOM_HI)))
    return boxes


def faces_of(lo: np.ndarray, hi: np.ndarray):
    """(normal axis, side, u range, v range) of the 6 faces of an axis-aligned box, in face-id order 2*axis+side."""
    for axis in range(3):
        u, v = UV_AXES[axis]
        for side in range(2):
            yield axis, side, (lo[u], hi[u]), (lo[v], hi[v])


# Lighting baked per face: room faces by (axis, side); box tops (the -y side, facing the ceiling light) brightest.
ROOM_LIGHT = {(0, 0): 0.85, (0, 1): 0.95, (1, 0): 0.75, (1, 1): 0.9, (2, 0): 1.0, (2, 1): 0.8}
BOX_LIGHT = {(0, 0): 0.8, (0, 1): 0.9, (1, 0): 1.05, (1, 1): 0.5, (2, 0): 0.95, (2, 1): 0.75}


@functools.lru_cache(maxsize=4)
def build_scene(seed: int) -> Scene:
    """Boxes and the texture atlas of a seed (deterministic; cached because it takes ~a second)."""
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng)
    textures = []
    for axis, side, (u0, u1), (v0, v1) in faces_of(ROOM_LO, ROOM_HI):
        w, h = int(math.ceil((u1 - u0) / TEXEL)) + 1, int(math.ceil((v1 - v0) / TEXEL)) + 1
        make = wood_texture if (axis, side) == (1, 1) else tile_texture if (axis, side) == (1, 0) \
            else plaster_texture
        textures.append((finish(rng, make(rng, h, w), ROOM_LIGHT[axis, side]), u0, v0))
    for box in boxes:
        for axis, side, (u0, u1), (v0, v1) in faces_of(box.lo, box.hi):
            w, h = int(math.ceil((u1 - u0) / TEXEL)) + 1, int(math.ceil((v1 - v0) / TEXEL)) + 1
            textures.append((finish(rng, box_texture(rng, h, w), BOX_LIGHT[axis, side]), u0, v0))
    atlas, offsets = pack_atlas([tex for tex, _, _ in textures])
    origin = np.array([[u0, v0] for _, u0, v0 in textures])
    offsets = offsets + PAD - origin / TEXEL
    return Scene(boxes, atlas, offsets[:, 0].astype(np.float32), offsets[:, 1].astype(np.float32))
