# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Procedural textures for the synthetic room (`street_textures` has the street's), and the atlas that holds them.

Every texture is multi-octave value noise with structure on top (planks, ceiling panels, posters, stickers, labels):
sharp edges and corners at every scale, so that learned detectors find keypoints. `finish` bakes in the lighting;
`pack_atlas` lays the textures out in one image, `put` writes each there, so that rendering is a single texture lookup.
"""
from __future__ import annotations

import math
from typing import List, Tuple

import cv2
import numpy as np

ATLAS_WIDTH = 4096
PAD = 2                                   # texels replicated around each face: bilinear lookups stay inside


def value_noise(rng: np.random.Generator, h: int, w: int, cell_y: float, cell_x: float | None = None) -> np.ndarray:
    """Smooth random field in [0, 1] with features about `cell` texels across (anisotropic when cell_x differs)."""
    cell_x = cell_y if cell_x is None else cell_x
    gh, gw = int(math.ceil(h / cell_y)) + 3, int(math.ceil(w / cell_x)) + 3
    grid = rng.random((gh, gw), dtype=np.float32)
    if cell_y <= 1 and cell_x <= 1:
        return grid[:h, :w]
    big = cv2.resize(grid, (int(gw * cell_x), int(gh * cell_y)), interpolation=cv2.INTER_CUBIC)
    return np.clip(big[:h, :w], 0.0, 1.0)


def fractal_noise(rng: np.random.Generator, h: int, w: int, cell: float = 64, octaves: int = 6,
                  persistence: float = 0.55, stretch: float = 1.0) -> np.ndarray:
    """Sum of value-noise octaves (cell halving each octave) normalised to [0, 1]; `stretch` elongates along x."""
    total, amplitude = np.zeros((h, w), np.float32), 1.0
    for _ in range(octaves):
        total += amplitude * value_noise(rng, h, w, max(cell, 1.0), max(cell * stretch, 1.0))
        cell, amplitude = cell / 2, amplitude * persistence
    total -= total.min()
    return total / max(float(total.max()), 1e-6)


def colorize(noise: np.ndarray, dark, light) -> np.ndarray:
    """Blend two RGB colours (0..255) by a [0, 1] field -> H x W x 3 float32."""
    dark, light = np.asarray(dark, np.float32), np.asarray(light, np.float32)
    return dark + noise[..., None] * (light - dark)


def random_color(rng: np.random.Generator, saturation=(0.2, 0.7), value=(0.4, 0.95)) -> np.ndarray:
    hsv = np.uint8([[[rng.integers(0, 180), 255 * rng.uniform(*saturation), 255 * rng.uniform(*value)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def draw_marks(rng: np.random.Generator, tex: np.ndarray, count: int, size=(8, 60)) -> None:
    """Sharp-edged rectangles, discs and strokes (stickers, labels, scuffs): corners for the detectors."""
    h, w = tex.shape[:2]
    for _ in range(count):
        color = tuple(float(c) for c in random_color(rng, (0.0, 1.0), (0.05, 1.0)))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        s = int(rng.integers(*size))
        kind = rng.integers(0, 4)
        if kind == 0:
            cv2.rectangle(tex, (x, y), (x + s, y + int(s * rng.uniform(0.3, 1.5))), color, -1)
        elif kind == 1:
            cv2.circle(tex, (x, y), max(s // 2, 2), color, -1)
        elif kind == 2:
            end = (x + int(rng.integers(-2 * s, 2 * s)), y + int(rng.integers(-2 * s, 2 * s)))
            cv2.line(tex, (x, y), end, color, int(rng.integers(1, 4)))
        else:  # a label: a frame with rows of short dark bars (text-like)
            lh, lw = s, int(s * rng.uniform(1.2, 2.5))
            cv2.rectangle(tex, (x, y), (x + lw, y + lh), (235, 232, 220), -1)
            for row in range(y + 3, y + lh - 3, 5):
                col = x + 3
                while col < x + lw - 6:
                    bar = int(rng.integers(2, 9))
                    cv2.rectangle(tex, (col, row), (min(col + bar, x + lw - 3), row + 2), (40, 40, 50), -1)
                    col += bar + int(rng.integers(2, 5))


def poster(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A framed picture: a coloured noise landscape with a few shapes."""
    art = colorize(fractal_noise(rng, h, w, cell=max(h, w) / 3, octaves=5), random_color(rng, value=(0.1, 0.5)),
                   random_color(rng, value=(0.6, 1.0)))
    draw_marks(rng, art, int(rng.integers(3, 8)), size=(4, max(6, min(h, w) // 3)))
    cv2.rectangle(art, (0, 0), (w - 1, h - 1), tuple(float(c) for c in random_color(rng, value=(0.05, 0.3))), 3)
    return art


def plaster_texture(rng, h, w) -> np.ndarray:
    base = random_color(rng, (0.05, 0.35), (0.65, 0.9))
    tex = colorize(fractal_noise(rng, h, w, cell=128, octaves=7, persistence=0.7), base * 0.6,
                   np.minimum(base * 1.25, 255))
    for _ in range(int(rng.integers(3, 7))):  # posters, pinned anywhere at eye level
        ph, pw = int(rng.integers(40, 110)), int(rng.integers(40, 140))
        y, x = int(rng.integers(0, max(1, h - ph))), int(rng.integers(0, max(1, w - pw)))
        tex[y:y + ph, x:x + pw] = poster(rng, ph, pw)[:h - y, :w - x]
    draw_marks(rng, tex, int(h * w / 1500), size=(3, 30))
    return tex


def wood_texture(rng, h, w) -> np.ndarray:
    """Planks along x: per-plank tone, stretched grain, dark seams and staggered ends."""
    grain = fractal_noise(rng, h, w, cell=24, octaves=5, stretch=8.0)
    tex = colorize(grain, (95, 60, 35), (190, 140, 90))
    plank = int(rng.integers(14, 22))
    for y0 in range(0, h, plank):
        tex[y0:y0 + plank] *= rng.uniform(0.75, 1.2)
        tex[y0:y0 + 1] = (45, 30, 20)
        x0 = int(rng.integers(0, 120))
        while x0 < w:
            tex[y0:y0 + plank, x0:x0 + 1] = (50, 32, 22)
            x0 += int(rng.integers(80, 200))
    draw_marks(rng, tex, int(h * w / 8000), size=(2, 14))
    return tex


def tile_texture(rng, h, w) -> np.ndarray:
    """Ceiling panels: grid, per-panel tone, speckled holes."""
    tex = colorize(fractal_noise(rng, h, w, cell=64, octaves=6), (170, 170, 165), (225, 225, 220))
    panel = int(rng.integers(50, 70))
    for y0 in range(0, h, panel):
        for x0 in range(0, w, panel):
            tex[y0:y0 + panel, x0:x0 + panel] *= rng.uniform(0.85, 1.08)
    tex[::panel] = tex[:, ::panel] = 90
    holes = rng.random((h, w)) < 0.01
    tex[holes] *= 0.45
    draw_marks(rng, tex, int(h * w / 20000), size=(4, 20))
    return tex


def box_texture(rng, h, w) -> np.ndarray:
    """Cardboard or painted surface with stickers and labels."""
    base = random_color(rng, (0.2, 0.8), (0.35, 0.9))
    tex = colorize(fractal_noise(rng, h, w, cell=32, octaves=6, persistence=0.75), base * 0.5,
                   np.minimum(base * 1.3, 255))
    if rng.random() < 0.5:  # stripes or tape
        for _ in range(int(rng.integers(1, 4))):
            y, t = int(rng.integers(0, h)), int(rng.integers(3, 12))
            tex[y:y + t] = random_color(rng, (0.0, 0.6), (0.2, 1.0))
    draw_marks(rng, tex, max(4, int(h * w / 600)), size=(3, max(6, min(h, w) // 4)))
    return tex


def finish(rng, tex: np.ndarray, brightness: float, grain: bool = True) -> np.ndarray:
    """Fine grain for texture at every scale (unless smooth, like the sky), lighting, a slight blur against aliasing."""
    h, w = tex.shape[:2]
    if grain:
        tex = tex * (0.92 + 0.16 * value_noise(rng, h, w, 1.5))[..., None] * brightness
    else:
        tex = tex * brightness
    tex = cv2.GaussianBlur(tex, (0, 0), 0.6)
    return np.clip(tex, 0, 255).astype(np.uint8)


def pack_atlas(sizes: List[Tuple[int, int]], width: int = ATLAS_WIDTH,
               tallest_first: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """Shelf packing of textures of (height, width) texels: the empty atlas and each texture's corner (x, y).

    Each texture gets PAD texels around it (see `put`). Packing in the given order, or tallest first, which wastes
    less of the shelves when the sizes are mixed. OpenCV's remap takes images under 32767 texels a side.
    """
    padded = [(h + 2 * PAD, w + 2 * PAD) for h, w in sizes]
    order = sorted(range(len(sizes)), key=lambda i: -padded[i][0]) if tallest_first else range(len(sizes))
    positions, x, y, shelf = np.zeros((len(sizes), 2)), 0, 0, 0
    for i in order:
        h, w = padded[i]
        if x + w > width:
            x, y, shelf = 0, y + shelf, 0
        positions[i] = x, y
        x, shelf = x + w, max(shelf, h)
    if y + shelf >= 32767 or max((w for _, w in padded), default=0) > width:
        raise ValueError(f"textures do not fit an atlas {width} texels wide and under 32767 high")
    return np.zeros((y + shelf, width, 4), np.uint8), positions  # RGBA: OpenCV's remap is fastest on 4 channels


def put(atlas: np.ndarray, position, tex: np.ndarray) -> None:
    """Write a finished texture at its atlas corner, padded by replicating its border (bilinear lookups stay inside)."""
    x, y = (int(c) for c in position)
    atlas[y:y + tex.shape[0] + 2 * PAD, x:x + tex.shape[1] + 2 * PAD, :3] = \
        cv2.copyMakeBorder(tex, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
