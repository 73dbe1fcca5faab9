# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Procedural textures of the street world: facades, asphalt with road markings, paving, curbs, distant skyline, sky.

Sizes are in texels, features are laid out in metres (each maker gets its face's `texel`, metres per texel), so that
a window is a window whatever the resolution of its face. Every texture has its own noise and its own random
details (blinds, curtains, signs, cracks, stains): nothing repeats exactly, though windows come in rows and columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from .textures import colorize, draw_marks, fractal_noise, random_color


@dataclass
class FacadeStyle:
    """What the faces of one building share: wall colour, storey height, window size and spacing (metres)."""

    wall: np.ndarray
    frame: np.ndarray
    glass: np.ndarray
    storey: float
    window: tuple             # (width, height)
    spacing: float
    shops: bool               # a shop front on the ground floor of its street faces


def facade_style(rng: np.random.Generator) -> FacadeStyle:
    return FacadeStyle(wall=random_color(rng, (0.05, 0.5), (0.4, 0.9)), frame=random_color(rng, (0.0, 0.4), (0.1, 1.0)),
                       glass=random_color(rng, (0.1, 0.4), (0.12, 0.3)), storey=rng.uniform(2.9, 3.6),
                       window=(rng.uniform(0.9, 1.7), rng.uniform(1.2, 1.9)), spacing=rng.uniform(2.2, 3.8),
                       shops=rng.random() < 0.6)


def plain_texture(rng, h, w, base=(120, 120, 120)) -> np.ndarray:
    """Noise only: for faces the camera never sees (roofs, undersides), which still get their own texture."""
    base = np.asarray(base, np.float32)
    return colorize(fractal_noise(rng, h, w, cell=4, octaves=2), base * 0.8, base * 1.1)


def facade_texture(rng, h, w, texel: float, style: FacadeStyle, shops: bool) -> np.ndarray:
    """A building face: the bottom row is street level. Storeys of windows, a shop front when `shops`."""
    m = 1.0 / texel
    tex = colorize(fractal_noise(rng, h, w, cell=max(2 * m, 2), octaves=6, persistence=0.6), style.wall * 0.7,
                   np.minimum(style.wall * 1.2, 255))
    reflection = fractal_noise(rng, h, w, cell=max(4 * m, 2), octaves=4)   # the street mirrored in the glass
    storey, thick = style.storey * m, max(1, round(0.08 * m))
    win_w, win_h, spacing = style.window[0] * m, style.window[1] * m, style.spacing * m
    first = rng.uniform(0.3, 1.0) * spacing            # columns do not line up with the face's edges
    for k in range(int(h / storey)):
        bottom = h - k * storey
        tex[max(int(bottom - 0.25 * m), 0):int(bottom)] *= 0.8          # floor slab
        if k == 0 and shops:
            shop_front(rng, tex, int(bottom), storey, m, reflection)
            continue
        top = bottom - storey + 0.55 * (storey - win_h)
        for x in np.arange(first, w - win_w, spacing):
            window(rng, tex, int(top), int(top + win_h), int(x), int(x + win_w), thick, style, reflection)
    for _ in range(int(rng.integers(0, 3))):            # drainpipes
        x = int(rng.integers(0, w))
        tex[:, x:x + thick] = random_color(rng, (0.0, 0.3), (0.2, 0.6))
    tex[:max(1, int(0.4 * m))] = np.minimum(style.wall * 1.3 + 20, 255)   # cornice
    tex[max(1, int(0.4 * m)):max(2, int(0.4 * m) + thick)] *= 0.6
    draw_marks(rng, tex, int(h * w / m ** 2 / 12), size=(max(2, int(0.1 * m)), max(3, int(0.5 * m))))  # stains, signs
    street_level = tex[max(h - int(2.5 * m), 0):]       # posters, graffiti, stickers
    draw_marks(rng, street_level, int(w / m / 2), size=(max(2, int(0.1 * m)), max(3, int(0.8 * m))))
    return tex


def window(rng, tex, y0, y1, x0, x1, thick, style: FacadeStyle, reflection) -> None:
    """A framed window: glass with reflections, lit or not, blinds and curtains at random heights, a sill."""
    if y1 - y0 <= 2 * thick or x1 - x0 <= 2 * thick:
        return
    tex[y0:y1, x0:x1] = style.frame
    y0, y1, x0, x1 = y0 + thick, y1 - thick, x0 + thick, x1 - thick
    if rng.random() < 0.08:
        glass = colorize(reflection[y0:y1, x0:x1], (200, 170, 90), (250, 230, 160))      # lit
    else:
        glass = style.glass + rng.uniform(40, 140) * reflection[y0:y1, x0:x1, None]
    tex[y0:y1, x0:x1] = glass
    if rng.random() < 0.6:                              # blinds, down to a random height
        drop = int(rng.uniform(0.1, 0.9) * (y1 - y0))
        tex[y0:y0 + drop, x0:x1] = random_color(rng, (0.0, 0.3), (0.6, 0.95))
        tex[y0 + drop - 1:y0 + drop, x0:x1] *= 0.5
    if rng.random() < 0.3:                              # a curtain on one side
        split = int(x0 + rng.uniform(0.2, 0.5) * (x1 - x0))
        side = slice(x0, split) if rng.random() < 0.5 else slice(x1 - (split - x0), x1)
        tex[y0:y1, side] = random_color(rng, (0.1, 0.7), (0.3, 0.9))
    if rng.random() < 0.15:                             # an air conditioner beside it
        unit = max(2, (x1 - x0) // 2)
        tex[y1 - unit:y1, x1 + 2 * thick:x1 + 2 * thick + unit] = rng.uniform(150, 220)
        tex[y1 - unit:y1, x1 + 2 * thick:x1 + 2 * thick + unit:2] *= 0.6
    if rng.random() < 0.5:                              # mullion
        middle = (x0 + x1) // 2
        tex[y0:y1, middle:middle + thick] = style.frame
    tex[y1 + thick:y1 + 2 * thick, x0 - 2 * thick:x1 + 2 * thick] = 215   # sill


def shop_front(rng, tex, bottom: int, storey: float, m: float, reflection) -> None:
    """Ground-floor shops side by side: a sign board with lettering, a shop window with things in it, a door."""
    w = tex.shape[1]
    x = int(rng.uniform(0, 2) * m)
    while x < w - 2 * m:
        width = min(int(rng.uniform(4, 9) * m), w - x)
        sign_top, sign_bottom = int(bottom - storey + 0.2 * m), int(bottom - storey + 0.9 * m)
        sign = tex[max(sign_top, 0):max(sign_bottom, 0), x:x + width]
        sign[:] = random_color(rng, (0.3, 1.0), (0.3, 1.0))
        draw_marks(rng, sign, max(2, int(width / m)), size=(max(2, int(0.15 * m)), max(3, int(0.5 * m))))
        glass_top = int(bottom - storey + 1.1 * m)
        door = x + int(rng.uniform(0.2, 0.7) * width)
        inside = np.s_[glass_top:bottom, x + 1:x + width - 1]
        shop = tex[inside]
        shop[:] = random_color(rng, (0.0, 0.3), (0.1, 0.3)) + 90 * reflection[inside][..., None]
        draw_marks(rng, shop, max(3, int(width / m)), size=(max(2, int(0.1 * m)), max(3, int(0.6 * m))))
        tex[glass_top:bottom, door:door + max(2, int(1.0 * m))] = random_color(rng, (0.0, 0.5), (0.1, 0.5))
        x += width + int(rng.uniform(0.3, 1.5) * m)


def asphalt_texture(rng, h, w, texel: float, x0: float, z0: float, streets: Sequence[float],
                    widths: np.ndarray) -> np.ndarray:
    """The ground (u = world x, v = world z from x0, z0): asphalt with repairs, cracks, manholes and road markings.

    `streets` are the centre lines (x = s and z = s alike), `widths[axis][i]` the width of street i: axis 0 the
    streets along z (at x = s), axis 1 those along x. Dashed centre lines, edge lines, zebra crossings at every
    intersection.
    """
    m = 1.0 / texel
    tex = colorize(fractal_noise(rng, h, w, cell=6 * m, octaves=7, persistence=0.6), (55, 55, 58), (118, 116, 110))
    area = h * w / m ** 2
    for _ in range(int(area / 150)):                     # repaired patches, darker or lighter
        py, px = int(rng.integers(0, h)), int(rng.integers(0, w))
        tex[py:py + int(rng.uniform(1, 5) * m), px:px + int(rng.uniform(1, 5) * m)] *= rng.uniform(0.75, 1.2)
    for _ in range(int(area / 20)):                      # cracks, some sealed with tar
        points = np.cumsum(rng.normal(0, 0.6 * m, (int(rng.integers(3, 9)), 2)), axis=0) + \
            [rng.integers(0, w), rng.integers(0, h)]
        cv2.polylines(tex, [points.astype(np.int32)], False, (30, 30, 32), int(rng.integers(1, 3)))
    for _ in range(int(area / 40)):                      # stains and oil spots
        centre, axes = (int(rng.integers(0, w)), int(rng.integers(0, h))), tuple(int(a) for a in rng.uniform(1, 6, 2))
        shade = float(rng.uniform(35, 150))
        cv2.ellipse(tex, centre, axes, float(rng.uniform(0, 180)), 0, 360, (shade, shade, shade * 0.95), -1)

    def to_texels(x, z):
        return int(round((x - x0) * m)), int(round((z - z0) * m))

    def paint(xa, za, xb, zb, color=(228, 228, 218)):
        """A painted rectangle between two world corners."""
        cv2.rectangle(tex, to_texels(xa, za), to_texels(xb, zb), color, -1)

    extent_x, extent_z = x0 + w / m, z0 + h / m
    for axis, (along_lo, along_hi) in enumerate(((z0, extent_z), (x0, extent_x))):
        for s, width in zip(streets, widths[axis]):
            half = width / 2
            crossings = [(c - cross / 2 - 4.0, c + cross / 2 + 4.0) for c, cross in zip(streets, widths[1 - axis])]
            start = along_lo + rng.uniform(0, 6)
            for lo in np.arange(start, along_hi, 6.0):       # dashed centre line
                hi = lo + 3.0
                if not any(c0 < hi and lo < c1 for c0, c1 in crossings):
                    paint(*((s - 0.08, lo, s + 0.08, hi) if axis == 0 else (lo, s - 0.08, hi, s + 0.08)))
            for edge in (s - half + 0.5, s + half - 0.5):    # edge lines, broken at the crossings
                cuts = [along_lo] + [v for c in crossings for v in c] + [along_hi]
                for lo, hi in zip(cuts[::2], cuts[1::2]):
                    paint(*((edge - 0.06, lo, edge + 0.06, hi) if axis == 0 else (lo, edge - 0.06, hi, edge + 0.06)))
            for c, cross in zip(streets, widths[1 - axis]):     # zebra crossings on both sides of each crossing
                for sign in (-1, 1):
                    near, far = c + sign * (cross / 2 + 0.8), c + sign * (cross / 2 + 3.8)
                    for stripe in np.arange(s - half + 1.0, s + half - 1.0, 1.0):
                        paint(*((stripe, near, stripe + 0.5, far) if axis == 0 else (near, stripe, far, stripe + 0.5)))
            for a in rng.uniform(along_lo, along_hi, int((along_hi - along_lo) / 30)):   # manholes
                offset = rng.uniform(-half + 1.5, half - 1.5)
                centre = to_texels(s + offset, a) if axis == 0 else to_texels(a, s + offset)
                radius = max(2, int(0.35 * m))
                cv2.circle(tex, centre, radius, (45, 45, 48), -1)
                cv2.circle(tex, centre, radius, (95, 95, 92), max(1, int(0.05 * m)))
    tex *= (0.85 + 0.25 * fractal_noise(rng, h, w, cell=2 * m, octaves=3))[..., None]   # wear, on the paint too
    return tex


def paving_texture(rng, h, w, texel: float) -> np.ndarray:
    """Sidewalk slabs: one tone per slab, dark joints, stains and litter."""
    m = 1.0 / texel
    base = random_color(rng, (0.0, 0.15), (0.55, 0.8))
    tex = colorize(fractal_noise(rng, h, w, cell=2 * m, octaves=6), base * 0.75, np.minimum(base * 1.1, 255))
    slab = rng.uniform(0.4, 0.8) * m
    rows, cols = (np.arange(h) / slab).astype(int), (np.arange(w) / slab).astype(int)
    tones = rng.uniform(0.85, 1.12, (rows[-1] + 1, cols[-1] + 1)).astype(np.float32)
    tex *= tones[rows][:, cols, None]
    tex[np.flatnonzero(np.diff(rows, prepend=-1))] *= 0.7
    tex[:, np.flatnonzero(np.diff(cols, prepend=-1))] *= 0.7
    draw_marks(rng, tex, int(h * w / m ** 2 / 4), size=(2, max(3, int(0.3 * m))))
    return tex


def curb_texture(rng, h, w, texel: float) -> np.ndarray:
    """Granite curb stones, a joint every metre or so, dirt along the road."""
    m = 1.0 / texel
    tex = colorize(fractal_noise(rng, h, w, cell=max(0.3 * m, 2), octaves=4), (135, 135, 132), (205, 203, 196))
    x = 0.0
    while x < w:
        tex[:, int(x):int(x) + 1] *= 0.55
        x += rng.uniform(0.8, 1.6) * m
    tex[-1:] *= 0.5
    return tex


def sky_texture(rng, h, w) -> np.ndarray:
    """Bright and smooth: a few faint clouds."""
    return colorize(fractal_noise(rng, h, w, cell=max(h, w) / 3, octaves=3, persistence=0.5), (165, 192, 230),
                    (232, 238, 248))


def skyline_texture(rng, h, w, texel: float) -> np.ndarray:
    """A far wall: sky above, the silhouettes of distant buildings with rows of lit and dark windows below."""
    m = 1.0 / texel
    tex = sky_texture(rng, h, w)
    x = 0
    while x < w:
        width, height = int(rng.uniform(6, 30) * m), int(rng.uniform(5, 45) * m)
        color = random_color(rng, (0.0, 0.25), (0.35, 0.7))
        tex[max(h - height, 0):, x:x + width] = color
        for y in range(h - height + 2, h - 1, max(2, int(3 * m))):
            for xx in range(x + 1, x + width - 1, max(2, int(2.5 * m))):
                tex[y:y + max(1, int(1.2 * m)), xx:xx + max(1, int(m))] = color * rng.uniform(0.5, 1.3)
        x += width + int(rng.uniform(0, 6) * m)
    return tex
