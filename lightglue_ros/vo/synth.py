"""Synthetic sequences with exact ground truth: a textured room, ray cast on the CPU.

    sequence = SyntheticSequence(trajectory="orbit", frames=300, size=(640, 480), seed=0)
    stamp, rgb, depth, T_world_camera = sequence.frame(i)

The scene is a closed room (floor, ceiling, four walls) with boxes standing on the floor. Every face carries its
own procedural texture (multi-octave value noise plus planks, tiles, posters and labels with sharp edges, so that
learned detectors find corners). All surfaces are axis-aligned, so each pixel's ray is intersected in closed form:
the room's exit point is the nearest of three slab planes, a box is a slab test on the pixels inside its projected
bounding rectangle only. Texture lookup is one bilinear `cv2.remap` into an atlas holding every face's texture
(lighting baked in), so a 640x480 frame costs a few milliseconds.

World frame: x right, y down (gravity), z forward, metres; the camera height is y = 0, the floor at y = FLOOR_Y.
Cameras use optical axes (x right, y down, z forward). Depth is the z of the camera-frame point (metres), exact
for every pixel centre. `relative_poses()` gives the ground truth in the VO convention: first frame at identity.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import cv2
import numpy as np

from .camera import CameraModel

ROOM_LO = np.array([-5.0, -1.6, -5.0])    # ceiling 1.6 m above the camera height ...
ROOM_HI = np.array([5.0, 1.4, 5.0])       # ... floor 1.4 m below it
FLOOR_Y = ROOM_HI[1]
TEXEL = 0.01                              # metres per texel on every face
ATLAS_WIDTH = 4096
PAD = 2                                   # texels replicated around each face: bilinear lookups stay inside
FOCAL_PER_WIDTH = 0.8                     # fx = fy = 0.8 * width: about 64 degrees horizontal field of view
NEAR = 0.01                               # metres; box corners closer than this are clipped for the bounds

# Texture coordinates (u, v) of a face by its normal axis: x-faces use (z, y), y-faces (x, z), z-faces (x, y).
UV_AXES = {0: (2, 1), 1: (0, 2), 2: (0, 1)}


# --- textures -------------------------------------------------------------------------------------------------------
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


def finish(rng, tex: np.ndarray, brightness: float) -> np.ndarray:
    """Fine grain for texture at every scale, lighting, a slight blur against aliasing when minified."""
    h, w = tex.shape[:2]
    tex = tex * (0.92 + 0.16 * value_noise(rng, h, w, 1.5))[..., None] * brightness
    tex = cv2.GaussianBlur(tex, (0, 0), 0.6)
    return np.clip(tex, 0, 255).astype(np.uint8)


# --- scene ----------------------------------------------------------------------------------------------------------
@dataclass
class Box:
    lo: np.ndarray
    hi: np.ndarray


@dataclass
class Scene:
    boxes: List[Box]
    atlas: np.ndarray             # H x W x 4 uint8 (RGB + unused alpha), every face's texture
    face_offset_x: np.ndarray     # per face: atlas x = u / TEXEL + face_offset_x (u in world metres)
    face_offset_y: np.ndarray


def random_boxes(rng: np.random.Generator) -> List[Box]:
    """A cluster in the middle (radius < 1.45 m) and furniture along the walls (more than 3.6 m out), leaving the
    band the trajectories use (1.6 to 3.5 m from the centre) free."""
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


def pack_atlas(textures: List[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Shelf packing into an ATLAS_WIDTH-wide atlas; each texture padded by replicating its border."""
    padded = [cv2.copyMakeBorder(t, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE) for t in textures]
    positions, x, y, shelf = [], 0, 0, 0
    for tex in padded:
        h, w = tex.shape[:2]
        if x + w > ATLAS_WIDTH:
            x, y, shelf = 0, y + shelf, 0
        positions.append((x, y))
        x, shelf = x + w, max(shelf, h)
    atlas = np.zeros((y + shelf, ATLAS_WIDTH, 4), np.uint8)  # RGBA: OpenCV's remap is fastest on 4 channels
    for (x, y), tex in zip(positions, padded):
        atlas[y:y + tex.shape[0], x:x + tex.shape[1], :3] = tex
    return atlas, np.array(positions, np.float64)


# --- rendering ------------------------------------------------------------------------------------------------------
def synthetic_camera(width: int, height: int) -> CameraModel:
    f = FOCAL_PER_WIDTH * width
    return CameraModel(f, f, (width - 1) / 2, (height - 1) / 2, width, height)


class Renderer:
    """Ray caster for one scene and one camera; `render(T_world_camera)` -> (rgb uint8, depth float32 metres).

    Work is whole-image NumPy operations into preallocated buffers (allocation costs more than the arithmetic
    here). A pixel's world ray direction is affine in its column and row, so each component is one broadcast add.
    Ids: room faces 0-5, box k's faces 6 + 6k + (0-5), each 2 * normal axis + side (0 = the lo plane).
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
        self.face = np.empty((h, w), np.uint8)

    def _ray_component(self, R_row: List[float], out: np.ndarray) -> np.ndarray:
        """One world component of every pixel's ray direction: r0 x + r1 y + r2 (one broadcast add)."""
        return np.add(R_row[0] * self.x[None, :], (R_row[1] * self.y + R_row[2])[:, None], out=out)

    def render(self, T_world_camera: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        # Python floats keep the arithmetic in float32 (NumPy scalars of float64 would promote it).
        R, o = T_world_camera[:3, :3].tolist(), T_world_camera[:3, 3].tolist()
        a, b, best, face, side, mask, D = self.a, self.b, self.best, self.face, self.side, self.mask, self.D
        for axis in range(3):
            self._ray_component(R[axis], D[axis])
        # Inside the room, a ray heading to +axis leaves through the hi plane, else the lo plane; as inverse
        # depths D_a / (plane - o_a) that is the larger of the two. The exit is the largest over the three axes.
        for axis in range(3):
            np.multiply(D[axis], 1.0 / (float(ROOM_HI[axis]) - o[axis]), out=a)
            np.multiply(D[axis], 1.0 / (float(ROOM_LO[axis]) - o[axis]), out=b)
            np.greater(a, b, out=side)
            if axis == 0:
                np.maximum(a, b, out=best)
                np.copyto(face, side)
                continue
            np.maximum(a, b, out=a)
            np.greater(a, best, out=mask)
            np.maximum(a, best, out=best)
            np.copyto(face, side + np.uint8(2 * axis), where=mask)
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
        axis_of = FACE_AXIS.take(face)
        u, v = self.map_x, self.map_y
        np.multiply(depth, D[0], out=u)
        u += o[0]
        np.multiply(depth, D[2], out=a)
        a += o[2]
        np.copyto(u, a, where=axis_of == 0)
        np.multiply(depth, D[1], out=v)
        v += o[1]
        np.copyto(v, a, where=axis_of == 1)
        u *= np.float32(1 / TEXEL)
        u += self.scene.face_offset_x.take(face)
        v *= np.float32(1 / TEXEL)
        v += self.scene.face_offset_y.take(face)
        rgba = cv2.remap(self.scene.atlas, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB), depth.copy()

    def _bounds(self, corners: np.ndarray, T_world_camera: np.ndarray):
        """Pixel rectangle (y0, y1, x0, x1) holding the box's projection, or None when it is out of view.

        The box is clipped at z = NEAR: its visible part's vertices are the corners in front plus the points where
        edges cross the near plane."""
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
        only bounds the exit."""
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
                entry = np.full(t_in.shape, first_face + 2 * axis + near_side, np.uint8)
            else:
                np.copyto(entry, first_face + 2 * axis + near_side, where=t_in > t_near)
                np.maximum(t_near, t_in, out=t_near)
        depth_r = depth[y0:y1, x0:x1]
        hit = t_near <= t_far
        hit &= t_near > 0
        hit &= t_near < depth_r
        np.copyto(depth_r, t_near, where=hit)
        np.copyto(face[y0:y1, x0:x1], entry, where=hit)


# Normal axis of every face id (2 * axis + side, +6 per box); ids fit in uint8 for up to 41 boxes.
FACE_AXIS = np.tile(np.repeat(np.arange(3, dtype=np.uint8), 2), 42)
# The 12 edges of a box as corner index pairs (corners differ in one coordinate bit).
BOX_EDGES = np.array([(i, j) for i in range(8) for j in range(i + 1, 8) if bin(i ^ j).count("1") == 1]).T


# --- trajectories ---------------------------------------------------------------------------------------------------
def look_rotation(forward: np.ndarray, roll: float = 0.0) -> np.ndarray:
    """World-from-camera rotation looking along `forward` with the image's y axis towards gravity (+y)."""
    z = forward / np.linalg.norm(forward)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    R = np.stack([x, np.cross(z, x), z], axis=1)
    c, s = math.cos(roll), math.sin(roll)
    return R @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def heading(yaw: float, pitch: float) -> np.ndarray:
    """Direction with `yaw` about the gravity axis (0 = +z, positive towards +x) and `pitch` down."""
    return np.array([math.sin(yaw) * math.cos(pitch), math.sin(pitch), math.cos(yaw) * math.cos(pitch)])


def pose(R: np.ndarray, p) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, p
    return T


class Wobble:
    """Smooth random signal: a sum of sinusoids with random frequencies in [f_lo, f_hi] Hz and phases, in [-1, 1]."""

    def __init__(self, rng: np.random.Generator, f_lo: float, f_hi: float, terms: int = 3):
        self.freq = rng.uniform(f_lo, f_hi, terms) * 2 * math.pi
        self.phase = rng.uniform(0, 2 * math.pi, terms)
        self.weight = rng.uniform(0.5, 1.0, terms)
        self.weight /= self.weight.sum()

    def __call__(self, t: float) -> float:
        return float(np.sum(self.weight * np.sin(self.freq * t + self.phase)))


def orbit(rng, duration):
    """Circle of radius 2.5 m around the middle cluster at 0.3 m/s, looking at it, bobbing gently."""
    start, speed, radius = rng.uniform(0, 2 * math.pi), 0.3, 2.5

    def at(t):
        angle = start + speed / radius * t
        p = np.array([radius * math.sin(angle), 0.1 * math.sin(0.6 * t), -radius * math.cos(angle)])
        return pose(look_rotation(np.array([0.0, 0.5, 0.0]) - p), p)
    return at


def forward(rng, duration):
    """Along a circle of radius 2.6 m at 0.5 m/s looking where it goes (slightly down): forward motion."""
    start, speed, radius = rng.uniform(0, 2 * math.pi), 0.5, 2.6
    direction = rng.choice([-1.0, 1.0])

    def at(t):
        angle = start + direction * speed / radius * t
        p = np.array([radius * math.sin(angle), 0.05 * math.sin(2.0 * t), -radius * math.cos(angle)])
        tangent = direction * np.array([math.cos(angle), 0.0, math.sin(angle)])
        return pose(look_rotation(tangent + [0.0, 0.08, 0.0]), p)
    return at


def handheld(rng, duration):
    """A person walking round the room at ~0.25 m/s, looking about, with hand shake (mm, tenths of a degree)."""
    start, speed = rng.uniform(0, 2 * math.pi), 0.25
    sway, look, tilt, roll = (Wobble(rng, 0.03, 0.2) for _ in range(4))
    shake = [Wobble(rng, 3.0, 8.0) for _ in range(6)]

    def at(t):
        angle = start + speed / 2.5 * t
        radius = 2.5 + 0.3 * sway(t)
        p = np.array([radius * math.sin(angle), 0.08 * tilt(0.7 * t), -radius * math.cos(angle)])
        p += 0.003 * np.array([s(t) for s in shake[:3]])
        yaw = angle + math.pi / 2 + 0.6 * look(t)          # tangent, swinging +-35 degrees
        pitch = 0.1 + 0.12 * tilt(t) + 0.005 * shake[3](t)
        R = look_rotation(heading(yaw + 0.005 * shake[4](t), pitch), 0.05 * roll(t) + 0.005 * shake[5](t))
        return pose(R, p)
    return at


def line(rng, duration):
    """Straight line along x at constant speed (0.4 m/s, slower when long), constant orientation: scale tests."""
    speed = min(0.4, 5.0 / max(duration, 1e-9))
    z, yaw = -2.8 + rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.3)
    R = look_rotation(heading(yaw, 0.08))

    def at(t):
        return pose(R, [speed * (t - duration / 2), 0.0, z])
    return at


def rotation(rng, duration):
    """Pure rotation about a fixed optical centre: panning +-40 degrees, tilting, rolling slowly."""
    p = np.array([0.0, 0.0, -2.6]) + rng.uniform(-0.3, 0.3, 3) * [1, 0.3, 1]
    pan, tilt, roll = Wobble(rng, 0.04, 0.08), Wobble(rng, 0.05, 0.1), Wobble(rng, 0.05, 0.1)

    def at(t):
        return pose(look_rotation(heading(0.7 * pan(t), 0.1 + 0.15 * tilt(t)), 0.08 * roll(t)), p)
    return at


TRAJECTORIES: Dict[str, Callable] = {"forward": forward, "orbit": orbit, "handheld": handheld, "line": line,
                                     "rotation": rotation}


# --- sequences ------------------------------------------------------------------------------------------------------
class SyntheticSequence:
    """Frames of one trajectory through the scene of one seed; deterministic for (trajectory, frames, size, seed,
    fps). Frame i is at stamp i / fps; poses are world-from-camera in the room frame."""

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
    def camera_info(self) -> CameraModel:
        return self.camera

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:  # the scene is built on the first frame, not when only poses are wanted
            self._renderer = Renderer(build_scene(self.seed), self.camera)
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
