# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The look-alike hall: a long hall with two identical bays in it, a trap for loop closure.

A hall HALL_LO..HALL_HI (the room's height, 30 m along x, 5 m across z) whose far wall (z = +2.5) has two bays
BAY metres long, SHIFT apart along x: in each a wall panel, a floor mat and a ceiling panel over the bay, and
furniture along the wall and in front of it. The second bay is the first moved by SHIFT, every face showing the
first's texture (`textured_scene`'s `same_as`): seen from the same place in each bay, the two look the same, pixel
for pixel where the view stays inside the bay. Between the bays and beyond them the hall is plain room (its own
plaster, wood and tiles, and boxes of its own). The `lookalike` trajectory passes the bays once each, never
coming back: a loop closed between them is false.
"""
from __future__ import annotations

import functools
from typing import List

import numpy as np

from .scene import BOX_LIGHT, Box, Look, ROOM_LIGHT, Scene, TEXEL, textured_scene
from .street_textures import plain_texture
from .textures import box_texture, plaster_texture, tile_texture, wood_texture

HALL_LO = np.array([-15.0, -1.6, -2.5])   # the room's ceiling and floor, a long hall
HALL_HI = np.array([15.0, 1.4, 2.5])
SHIFT = 16.0                              # metres along x from the first bay to its twin
BAY = 8.0                                 # a bay's length along x; the bays are centred at x = -+SHIFT / 2
PANEL = 0.05                              # thickness of the bay's wall panel, floor mat and ceiling panel
HIDDEN = 0.5                              # metres per texel on faces the camera never sees
PATH_Z = -0.5                             # where `lookalike` moves (3 m from the far wall): furniture stays clear


def bay_boxes(rng: np.random.Generator, centre: float) -> List[Box]:
    """The first bay's panels (wall, floor, ceiling) and furniture, centred at x = `centre`."""
    x0, x1 = centre - BAY / 2, centre + BAY / 2
    wall_z, floor_y, ceiling_y = HALL_HI[2] - PANEL, HALL_HI[1] - PANEL, HALL_LO[1] + PANEL
    boxes = [Box(np.array([x0, HALL_LO[1], wall_z]), np.array([x1, HALL_HI[1], HALL_HI[2]])),
             Box(np.array([x0, floor_y, HALL_LO[2]]), np.array([x1, HALL_HI[1], wall_z])),
             Box(np.array([x0, HALL_LO[1], HALL_LO[2]]), np.array([x1, ceiling_y, wall_z]))]
    for _ in range(4):                    # along the wall: shelves, cabinets
        half, depth = rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.7)
        x = rng.uniform(x0 + half, x1 - half)
        boxes.append(Box(np.array([x - half, floor_y - rng.uniform(0.6, 2.4), wall_z - depth]),
                         np.array([x + half, floor_y, wall_z])))
    for _ in range(2):                    # in front of it: crates, 1.2 m or more from the path
        half = rng.uniform(0.2, 0.4, 2)
        x, z = rng.uniform(x0 + half[0], x1 - half[0]), rng.uniform(PATH_Z + 1.2 + half[1], 1.2)
        boxes.append(Box(np.array([x - half[0], floor_y - rng.uniform(0.4, 1.2), z - half[1]]),
                         np.array([x + half[0], floor_y, z + half[1]])))
    return boxes


def hall_boxes(rng: np.random.Generator) -> List[Box]:
    """Boxes of the hall's own between and beyond the bays, along the far wall."""
    boxes = []
    for x0, x1 in ((-SHIFT / 2 + BAY / 2, SHIFT / 2 - BAY / 2), (HALL_LO[0], -SHIFT / 2 - BAY / 2),
                   (SHIFT / 2 + BAY / 2, HALL_HI[0])):
        for _ in range(2):
            half, depth = rng.uniform(0.2, 0.6), rng.uniform(0.3, 0.8)
            x = rng.uniform(x0 + half, x1 - half)
            boxes.append(Box(np.array([x - half, HALL_HI[1] - rng.uniform(0.5, 2.2), HALL_HI[2] - depth]),
                             np.array([x + half, HALL_HI[1], HALL_HI[2]])))
    return boxes


def bay_looks(count: int) -> List[Look]:
    """Looks of the first bay's boxes: plaster, wood and tiles on the panels' seen faces, box textures on the rest."""
    hidden = Look(HIDDEN, functools.partial(plain_texture, base=(150, 150, 140)), 0.8)
    seen = {0: (2, 0, plaster_texture), 1: (1, 0, wood_texture), 2: (1, 1, tile_texture)}   # panel: face, texture
    looks = []
    for k in range(count):
        for axis in range(3):
            for side in range(2):
                if k in seen:
                    face_axis, face_side, make = seen[k]
                    looks.append(Look(TEXEL, make, ROOM_LIGHT[face_axis, 1 - face_side])
                                 if (axis, side) == (face_axis, face_side) else hidden)
                else:
                    looks.append(Look(TEXEL, box_texture, BOX_LIGHT[axis, side]))
    return looks


@functools.lru_cache(maxsize=2)
def build_hall_scene(seed: int) -> Scene:
    """The look-alike hall of a seed (deterministic; cached)."""
    rng = np.random.default_rng(seed)
    first = bay_boxes(rng, -SHIFT / 2)
    twin = [Box(b.lo + [SHIFT, 0, 0], b.hi + [SHIFT, 0, 0]) for b in first]
    own = hall_boxes(rng)
    looks = [Look(TEXEL, wood_texture if (axis, side) == (1, 1) else tile_texture if (axis, side) == (1, 0)
                  else plaster_texture, ROOM_LIGHT[axis, side]) for axis in range(3) for side in range(2)]
    first_looks = bay_looks(len(first))
    looks += first_looks + first_looks
    looks += [Look(TEXEL, box_texture, BOX_LIGHT[axis, side]) for _ in own for axis in range(3) for side in range(2)]
    faces = 6 * len(first)
    same_as = [None] * (6 + faces) + [6 + i for i in range(faces)] + [None] * (6 * len(own))
    return textured_scene(rng, HALL_LO, HALL_HI, first + twin + own, looks, same_as=same_as)
