# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The synthetic worlds' common form, and the room: a closed room (floor, ceiling, four walls) with boxes in it.

World frame: x right, y down (gravity), z forward, metres. A scene is a bounding box the camera is always inside
(here the room; `street` builds the other world) and axis-aligned boxes in it, every face with its own texture in
the scene's atlas. Face ids: the bounds' faces 0-5, box k's faces 6 + 6k + (0-5), each 2 * normal axis + side
(0 = the lo plane, 1 = the hi plane). In the room the camera height is y = 0, the floor at y = FLOOR_Y.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy as np

from .textures import ATLAS_WIDTH, PAD, box_texture, finish, pack_atlas, plaster_texture, put, tile_texture, \
    wood_texture

ROOM_LO = np.array([-5.0, -1.6, -5.0])    # ceiling 1.6 m above the camera height ...
ROOM_HI = np.array([5.0, 1.4, 5.0])       # ... floor 1.4 m below it
FLOOR_Y = ROOM_HI[1]
TEXEL = 0.01                              # metres per texel on every face of the room

# Texture coordinates (u, v) of a face by its normal axis: x-faces use (z, y), y-faces (x, z), z-faces (x, y).
UV_AXES = {0: (2, 1), 1: (0, 2), 2: (0, 1)}


@dataclass
class Box:
    """An axis-aligned box: its lo and hi corners (world, metres)."""

    lo: np.ndarray
    hi: np.ndarray


@dataclass
class Scene:
    """The bounds, the boxes and every face's texture, packed in one atlas."""

    lo: np.ndarray                # the bounding box: every ray ends on one of its faces
    hi: np.ndarray
    boxes: List[Box]
    atlas: np.ndarray             # H x W x 4 uint8 (RGB + unused alpha), every face's texture
    face_scale: np.ndarray        # per face (float32): atlas x = u * face_scale + face_offset_x (u in world metres)
    face_offset_x: np.ndarray
    face_offset_y: np.ndarray

    @property
    def face_axis(self) -> np.ndarray:
        """Normal axis of every face id."""
        return (np.arange(6 + 6 * len(self.boxes)) % 6 // 2).astype(np.uint8)


@dataclass
class Look:
    """How one face is textured: metres per texel, the texture maker (rng, h, w) -> float RGB, its baked light."""

    texel: float
    make: Callable
    light: float
    grain: bool = True


def faces_of(lo: np.ndarray, hi: np.ndarray):
    """(normal axis, side, u range, v range) of the 6 faces of an axis-aligned box, in face-id order 2*axis+side."""
    for axis in range(3):
        u, v = UV_AXES[axis]
        for side in range(2):
            yield axis, side, (lo[u], hi[u]), (lo[v], hi[v])


def textured_scene(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, boxes: List[Box], looks: List[Look],
                   atlas_width: int = ATLAS_WIDTH, tallest_first: bool = False,
                   same_as: Optional[List[Optional[int]]] = None) -> Scene:
    """The scene with every face's texture made (in face-id order, from `rng`) straight into the atlas.

    `looks` has one entry per face id. Textures are written as they are made: no list of them all in memory.
    `same_as` (one entry per face id, None: its own texture) makes a face show an earlier face's texture, texel for
    texel from its own lo corner: a box moved elsewhere with its faces `same_as` the original's looks exactly alike.
    """
    faces = [face for box_lo, box_hi in [(lo, hi)] + [(b.lo, b.hi) for b in boxes] for face in faces_of(box_lo, box_hi)]
    sizes = [(int(math.ceil((v1 - v0) / look.texel)) + 1, int(math.ceil((u1 - u0) / look.texel)) + 1)
             for (_, _, (u0, u1), (v0, v1)), look in zip(faces, looks)]
    same_as = same_as or [None] * len(faces)
    own = [i for i, source in enumerate(same_as) if source is None]
    atlas, packed = pack_atlas([sizes[i] for i in own], atlas_width, tallest_first)
    positions = np.zeros((len(faces), 2))
    positions[own] = packed
    for i in own:
        put(atlas, positions[i], finish(rng, looks[i].make(rng, *sizes[i]), looks[i].light, looks[i].grain))
    for i, source in enumerate(same_as):
        if source is not None:
            if not (source < i and same_as[source] is None and sizes[source] == sizes[i]
                    and looks[source].texel == looks[i].texel):
                raise ValueError(f"face {i} cannot show face {source}'s texture: it must be an earlier face with "
                                 f"its own texture of the same size and texel")
            positions[i] = positions[source]
    origin = np.array([[u0, v0] for _, _, (u0, _), (v0, _) in faces])
    texel = np.array([look.texel for look in looks])[:, None]
    offsets = positions + PAD - origin / texel
    return Scene(lo, hi, boxes, atlas, (1 / texel[:, 0]).astype(np.float32), offsets[:, 0].astype(np.float32),
                 offsets[:, 1].astype(np.float32))


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


# Lighting baked per face: room faces by (axis, side); box tops (the -y side, facing the ceiling light) brightest.
ROOM_LIGHT = {(0, 0): 0.85, (0, 1): 0.95, (1, 0): 0.75, (1, 1): 0.9, (2, 0): 1.0, (2, 1): 0.8}
BOX_LIGHT = {(0, 0): 0.8, (0, 1): 0.9, (1, 0): 1.05, (1, 1): 0.5, (2, 0): 0.95, (2, 1): 0.75}


@functools.lru_cache(maxsize=4)
def build_scene(seed: int) -> Scene:
    """The room of a seed: boxes and the texture atlas (deterministic; cached because it takes ~a second)."""
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng)
    looks = [Look(TEXEL, wood_texture if (axis, side) == (1, 1) else tile_texture if (axis, side) == (1, 0)
                  else plaster_texture, ROOM_LIGHT[axis, side]) for axis in range(3) for side in range(2)]
    looks += [Look(TEXEL, box_texture, BOX_LIGHT[axis, side]) for _ in boxes for axis in range(3) for side in range(2)]
    return textured_scene(rng, ROOM_LO, ROOM_HI, boxes, looks)
