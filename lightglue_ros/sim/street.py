# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The street world: a grid of city blocks a few hundred metres across, for a car-like camera.

The ground is the plane y = 0 (world y down: heights are negative y). BLOCKS x BLOCKS blocks, each a sidewalk slab
CURB high with buildings standing on it round its edge (several per side, set back by varying amounts, 6-25 m
tall, sometimes a tower in the courtyard), are separated by the streets whose centre lines are at x = s and z = s
for s in STREETS (PITCH apart; the car drives on them, see `trajectories.street`). Street widths vary per street
(12-15 m) around those fixed centre lines. The streets run on past the outer blocks to the far walls of the bounds
(a distant skyline), the bounds' top is the sky.

Texel sizes follow how close the camera can come: street-facing facades 5 cm, the side walls between setbacks
10 cm, walls only seen over other roofs 15 cm, the ground 8 cm, faces it never sees (roofs, undersides, the outer
faces of the outer blocks) 1 m.
"""
from __future__ import annotations

import functools
from typing import List, Tuple

import numpy as np

from .scene import Box, Look, Scene, textured_scene
from .street_textures import FacadeStyle, asphalt_texture, curb_texture, facade_style, facade_texture, \
    paving_texture, plain_texture, sky_texture, skyline_texture

BLOCKS = 5
PITCH = 48.0                              # metres between neighbouring street centre lines
STREETS = (np.arange(BLOCKS - 1) - (BLOCKS - 2) / 2) * PITCH   # -72, -24, 24, 72
OUTER_BLOCK = 35.0                        # the outer blocks' depth beyond the outermost streets
HALF = 140.0                              # the bounds: x and z in [-HALF, HALF], open ground round the blocks
SKY = 80.0                                # sky height
CURB = 0.15
STREET_WIDTH = (12.0, 15.0)

# Metres per texel by what a face is to the street (see the module docstring).
TEXELS = {"front": 0.05, "side": 0.10, "back": 0.15, "hidden": 1.0, "ground": 0.08, "paving": 0.07, "curb": 0.03,
          "skyline": 0.25, "sky": 0.5}
# Sunlight baked per face by (normal axis, side): the sun high up towards +x and -z.
SUN = {(0, 0): 0.75, (0, 1): 1.0, (1, 0): 1.05, (1, 1): 0.4, (2, 0): 0.9, (2, 1): 0.65}


def block_edges(widths: np.ndarray) -> List[Tuple[float, float]]:
    """The extents of the BLOCKS blocks along one axis, between streets of the given widths."""
    lo = [STREETS[0] - widths[0] / 2 - OUTER_BLOCK] + list(STREETS + widths / 2)
    hi = list(STREETS - widths / 2) + [STREETS[-1] + widths[-1] / 2 + OUTER_BLOCK]
    return list(zip(lo, hi))


def block_buildings(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray):
    """(box, the block edges it fronts) for the buildings of one block, whose footprint (x, z) is lo..hi.

    The buildings stand round the block's edge, a sidewalk's width in: one at each corner, one to three between;
    each steps back from the sidewalk by its own amount (often none), those between the corners reach back a depth
    of their own. Edges are keys (k, side): k = 0 for x, 1 for z, side 0 the lo edge.
    """
    inset = rng.uniform(2.5, 4.0)                                  # the sidewalk
    a_lo, a_hi = lo + inset, hi - inset
    spans = []
    for k in range(2):                                            # corner, pieces between, corner
        start, end = a_lo[k] + rng.uniform(8.0, 12.0), a_hi[k] - rng.uniform(8.0, 12.0)
        pieces = max(1, min(3, int((end - start) / 7.0)))
        between = start + np.cumsum(rng.dirichlet(np.full(pieces, 4.0)))[:-1] * (end - start)
        cuts = [a_lo[k], start, *between, end, a_hi[k]]
        spans.append(list(zip(cuts[:-1], cuts[1:])))
    buildings = []
    for i, (x0, x1) in enumerate(spans[0]):
        for j, (z0, z1) in enumerate(spans[1]):
            fronts = {key for key, on in (((0, 0), i == 0), ((0, 1), i == len(spans[0]) - 1), ((1, 0), j == 0),
                                          ((1, 1), j == len(spans[1]) - 1)) if on}
            if not fronts:
                continue                                          # the courtyard
            f_lo, f_hi = np.array([x0, z0]), np.array([x1, z1])
            for k, side in fronts:
                setback = 0.0 if rng.random() < 0.45 else rng.uniform(0.3, 2.5)
                reach = rng.uniform(8.0, 13.0)
                if side == 0:
                    f_lo[k] += setback
                    if len(fronts) == 1:
                        f_hi[k] = a_lo[k] + reach
                else:
                    f_hi[k] -= setback
                    if len(fronts) == 1:
                        f_lo[k] = a_hi[k] - reach
            height = rng.uniform(6.0, 25.0)
            buildings.append((Box(np.array([f_lo[0], -CURB - height, f_lo[1]]), np.array([f_hi[0], -CURB, f_hi[1]])),
                              fronts))
    if rng.random() < 0.35:                                       # a tower in the courtyard, over the roofs
        margin = rng.uniform(9.0, 11.0)
        t_lo, t_hi = a_lo + margin, a_hi - margin
        if np.all(t_hi - t_lo > 5.0):
            height = rng.uniform(18.0, 35.0)
            buildings.append((Box(np.array([t_lo[0], -CURB - height, t_lo[1]]), np.array([t_hi[0], -CURB, t_hi[1]])),
                              set()))
    return buildings


def building_looks(fronts: set, streets: dict, style: FacadeStyle) -> List[Look]:
    """The 6 faces' looks of a building fronting the block edges `fronts`; `streets[edge]`: a street runs there.

    A face on a street is a front (a shop front on the ground floor if the building has shops), one across from a
    front is a side wall (seen where the neighbours step back or are lower), the rest face the courtyard (seen over
    lower roofs). Faces on the edge of the world, the roof and the underside are never seen.
    """
    looks = []
    for axis in range(3):
        for side in range(2):
            k = axis // 2
            if axis == 1 or (k, side) in fronts and not streets[k, side]:
                role = "hidden"
            elif (k, side) in fronts:
                role = "front"
            else:
                role = "side" if any(edge[0] != k for edge in fronts) else "back"
            texel = TEXELS[role]
            make = functools.partial(plain_texture, base=style.wall) if role == "hidden" else \
                functools.partial(facade_texture, texel=texel, style=style, shops=role == "front" and style.shops)
            looks.append(Look(texel, make, SUN[axis, side]))
    return looks


@functools.lru_cache(maxsize=2)
def build_street_scene(seed: int) -> Scene:
    """The street world of a seed (deterministic; cached: it takes seconds and ~180 MB)."""
    rng = np.random.default_rng(seed)
    widths = rng.uniform(*STREET_WIDTH, (2, len(STREETS)))      # [0]: the streets at x = s, [1]: those at z = s
    lo, hi = np.array([-HALF, -SKY, -HALF]), np.array([HALF, 0.0, HALF])
    skyline = Look(TEXELS["skyline"], functools.partial(skyline_texture, texel=TEXELS["skyline"]), 1.0, grain=False)
    ground = Look(TEXELS["ground"], functools.partial(asphalt_texture, texel=TEXELS["ground"], x0=-HALF, z0=-HALF,
                                                      streets=STREETS, widths=widths), 0.95)
    looks = [skyline, skyline, Look(TEXELS["sky"], sky_texture, 1.0, grain=False), ground, skyline, skyline]
    curb = functools.partial(curb_texture, texel=TEXELS["curb"])
    boxes = []
    for bi, (x0, x1) in enumerate(block_edges(widths[0])):
        for bj, (z0, z1) in enumerate(block_edges(widths[1])):
            boxes.append(Box(np.array([x0, -CURB, z0]), np.array([x1, 0.0, z1])))   # the sidewalk
            looks += [Look(TEXELS["curb"], curb, SUN[0, 0]), Look(TEXELS["curb"], curb, SUN[0, 1]),
                      Look(TEXELS["paving"], functools.partial(paving_texture, texel=TEXELS["paving"]), SUN[1, 0]),
                      Look(TEXELS["hidden"], plain_texture, SUN[1, 1]),
                      Look(TEXELS["curb"], curb, SUN[2, 0]), Look(TEXELS["curb"], curb, SUN[2, 1])]
            streets = {(0, 0): bi > 0, (0, 1): bi < BLOCKS - 1, (1, 0): bj > 0, (1, 1): bj < BLOCKS - 1}
            for box, fronts in block_buildings(rng, np.array([x0, z0]), np.array([x1, z1])):
                boxes.append(box)
                looks += building_looks(fronts, streets, facade_style(rng))
    return textured_scene(rng, lo, hi, boxes, looks, tallest_first=True)
