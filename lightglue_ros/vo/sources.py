# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Where the offline runner's frames and camera come from: an image folder, a video, a ROS bag, CameraInfo YAML.

Every source iterates `Frame(stamp, image, depth)`: stamp in seconds, image H x W x 3 RGB uint8 (or H x W gray
uint8 for monochrome input), depth H x W float32 metres (0 / NaN invalid) or None. Bags are read with `rosbags`
(no ROS installation needed), ROS image fields are decoded by the plain `decode_image` / `decode_compressed`.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np

from .camera import CameraModel
from .scale import depth_to_metres

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".webp", ".exr"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
BAG_SUFFIXES = {".db3", ".mcap", ".bag"}
IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
CAMERA_INFO_TYPE = "sensor_msgs/msg/CameraInfo"


class Frame(NamedTuple):
    stamp: float
    image: np.ndarray
    depth: Optional[np.ndarray]


# --- pixels ---------------------------------------------------------------------------------------------------------
def to_gray_or_rgb8(image: np.ndarray, bgr: bool = True) -> np.ndarray:
    """What the tracker takes: gray H x W or RGB H x W x 3, uint8.

    16-bit input keeps its high byte; `bgr` says the colour order of 3/4-channel input (OpenCV's).
    """
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ValueError(f"images must be 8 or 16 bit, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"unsupported image shape {image.shape}")
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB if bgr else cv2.COLOR_RGBA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if bgr else image


# sensor_msgs/Image encodings: (dtype, channels, colour order for to_gray_or_rgb8: True = BGR)
ENCODINGS = {
    "mono8": (np.uint8, 1, False), "8UC1": (np.uint8, 1, False),
    "mono16": (np.uint16, 1, False), "16UC1": (np.uint16, 1, False),
    "32FC1": (np.float32, 1, False),
    "rgb8": (np.uint8, 3, False), "bgr8": (np.uint8, 3, True), "8UC3": (np.uint8, 3, True),
    "rgba8": (np.uint8, 4, False), "bgra8": (np.uint8, 4, True), "8UC4": (np.uint8, 4, True),
    "rgb16": (np.uint16, 3, False), "bgr16": (np.uint16, 3, True),
    "rgba16": (np.uint16, 4, False), "bgra16": (np.uint16, 4, True),
}
BAYER = {"bayer_rggb8": cv2.COLOR_BayerRGGB2RGB, "bayer_bggr8": cv2.COLOR_BayerBGGR2RGB,
         "bayer_gbrg8": cv2.COLOR_BayerGBRG2RGB, "bayer_grbg8": cv2.COLOR_BayerGRBG2RGB}
YUV422 = {"yuv422": cv2.COLOR_YUV2RGB_UYVY, "uyvy": cv2.COLOR_YUV2RGB_UYVY,
          "yuv422_yuy2": cv2.COLOR_YUV2RGB_YUY2, "yuyv": cv2.COLOR_YUV2RGB_YUY2}


def decode_image(encoding: str, height: int, width: int, step: int, data, is_bigendian: bool = False) -> np.ndarray:
    """Decode sensor_msgs/Image fields into an array.

    Colour as RGB uint8 (H x W x 3), mono8 as H x W uint8, 16-bit and float (depth) encodings keep their type.
    Rows may be padded (`step` > width * pixel size).
    """
    buffer = np.frombuffer(bytes(data) if not isinstance(data, (bytes, np.ndarray)) else data, np.uint8)
    height, width, step = int(height), int(width), int(step)
    if height <= 0 or width <= 0:
        raise ValueError(f"image size {width}x{height} is empty")
    if buffer.size < height * step:
        raise ValueError(f"image data has {buffer.size} bytes, {height} rows of {step} need {height * step}")
    rows = buffer[:height * step].reshape(height, step)
    if encoding in BAYER or encoding in YUV422:
        channels = 1 if encoding in BAYER else 2
        if step < width * channels:
            raise ValueError(f"step {step} is too small for {width} {encoding} pixels")
        pixels = rows[:, :width * channels].reshape(height, width, channels)
        return cv2.cvtColor(np.ascontiguousarray(pixels), BAYER.get(encoding) or YUV422[encoding])
    if encoding not in ENCODINGS:
        raise ValueError(f"image encoding {encoding!r} is not supported; use one of "
                         f"{', '.join([*ENCODINGS, *BAYER, *YUV422])}")
    dtype, channels, bgr = ENCODINGS[encoding]
    dtype = np.dtype(dtype).newbyteorder(">" if is_bigendian else "<")
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ValueError(f"step {step} is too small for {width} {encoding} pixels ({row_bytes} bytes)")
    pixels = np.ascontiguousarray(rows[:, :row_bytes]).view(dtype).astype(dtype.newbyteorder("="))
    pixels = pixels.reshape(height, width, channels) if channels > 1 else pixels.reshape(height, width)
    if channels == 1:
        return pixels
    if dtype.itemsize == 1:
        return to_gray_or_rgb8(pixels, bgr)
    return pixels[..., [2, 1, 0]] if bgr else pixels[..., :3]  # 16-bit colour: RGB order, type kept


def decode_compressed(format: str, data) -> np.ndarray:  # noqa: A002 (the message's field name)
    """Decode a sensor_msgs/CompressedImage: RGB uint8 / gray, or uint16 for compressedDepth PNGs.

    `format` e.g. 'jpeg', 'bgr8; jpeg compressed bgr8', '16UC1; compressedDepth png'.
    """
    buffer = np.frombuffer(bytes(data) if not isinstance(data, (bytes, np.ndarray)) else data, np.uint8)
    if "compresseddepth" in format.lower():
        buffer = buffer[12:]  # image_transport's compressedDepth header (format + quantisation), then a PNG
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"cannot decode a compressed image of format {format!r} ({buffer.size} bytes)")
    return image if image.dtype != np.uint8 else to_gray_or_rgb8(image, bgr=True)


def read_image(path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"cannot read an image from {path}")
    return to_gray_or_rgb8(image)


def read_depth(path, depth_scale: float = 1000.0) -> np.ndarray:
    """Read a depth image file as float32 metres.

    Integer images are divided by `depth_scale` (units per metre: 1000 for millimetres, 5000 for TUM RGB-D), float
    images are metres already.
    """
    depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if depth is None:
        raise ValueError(f"cannot read a depth image from {path}")
    if depth.ndim != 2:
        raise ValueError(f"depth image {path} has {depth.shape[2]} channels, expected 1")
    if np.issubdtype(depth.dtype, np.integer):
        return depth.astype(np.float32) / np.float32(depth_scale)
    return depth.astype(np.float32)


# --- sources --------------------------------------------------------------------------------------------------------
def _numeric(stem: str) -> Optional[float]:
    try:
        value = float(stem)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def image_files(folder) -> List[Tuple[float, Path]]:
    """(stamp, path) of the image files in a folder (other files ignored).

    With all names numeric (timestamps) they are sorted by value and the names are the stamps; otherwise sorted by name,
    stamp = index.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    paths = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    stamps = [_numeric(p.stem) for p in paths]
    if paths and all(s is not None for s in stamps):
        return sorted(zip(stamps, paths))
    return [(float(i), p) for i, p in enumerate(sorted(paths, key=lambda p: p.name))]


class ImageFolder:
    """Images of a folder, optionally with depth images from another folder (same name, else nearest stamp)."""

    def __init__(self, folder, depth_folder=None, depth_scale: float = 1000.0, max_depth_dt: float = 0.02):
        self.files = image_files(folder)
        if not self.files:
            raise ValueError(f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
        self.depth_scale, self.depth_files = depth_scale, [None] * len(self.files)
        if depth_folder is not None:
            depth = image_files(depth_folder)
            by_name = {p.stem: p for _, p in depth}
            stamps = [s for s, _ in depth]
            for i, (stamp, path) in enumerate(self.files):
                self.depth_files[i] = by_name.get(path.stem) or _nearest(stamps, depth, stamp, max_depth_dt)

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[Frame]:
        for (stamp, path), depth_path in zip(self.files, self.depth_files):
            depth = read_depth(depth_path, self.depth_scale) if depth_path is not None else None
            yield Frame(stamp, read_image(path), depth)


def _nearest(stamps: Sequence[float], items: Sequence, stamp: float, max_dt: float):
    """The item whose stamp is nearest (stamps sorted), or None when further than max_dt."""
    i = bisect_left(stamps, stamp)
    best = min((j for j in (i - 1, i) if 0 <= j < len(stamps)), key=lambda j: abs(stamps[j] - stamp), default=None)
    return items[best][1] if best is not None and abs(stamps[best] - stamp) <= max_dt else None


class VideoFile:
    """Frames of a video file (OpenCV); stamp = index / fps."""

    def __init__(self, path):
        self.path = Path(path)
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise ValueError(f"cannot open the video {self.path}")
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        self.count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        capture.release()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Frame]:
        capture = cv2.VideoCapture(str(self.path))
        try:
            index = 0
            while True:
                ok, bgr = capture.read()
                if not ok:
                    return
                yield Frame(index / self.fps, to_gray_or_rgb8(bgr), None)
                index += 1
        finally:
            capture.release()


class RosBag:
    """Images of one topic of a rosbag2 (folder, .db3, .mcap) or ROS 1 .bag, read with `rosbags`.

    Stamps come from the message headers (the log time when a header stamp is zero). With `depth_topic`, each
    image gets the depth image nearest in stamp (within `max_depth_dt`; 16UC1 millimetres or 32FC1 metres), else
    None.
    """

    def __init__(self, path, topic: Optional[str] = None, depth_topic: Optional[str] = None,
                 max_depth_dt: float = 0.02):
        from rosbags.highlevel import AnyReader
        from rosbags.typesys import Stores, get_typestore

        self.path, self.max_depth_dt = Path(path), max_depth_dt
        self.reader = AnyReader([self.path], default_typestore=get_typestore(Stores.LATEST))
        with self.reader:
            images = {c.topic for c in self.reader.connections if c.msgtype in IMAGE_TYPES}
            listing = f"image topics: {', '.join(sorted(images)) or 'none'}"
            if topic is None:
                candidates = images - {depth_topic}
                if len(candidates) != 1:
                    raise ValueError(f"{self.path}: choose the image topic with --topic; {listing}")
                topic = candidates.pop()
            for name in (topic, depth_topic):
                if name is not None and name not in images:
                    raise ValueError(f"{self.path}: no Image/CompressedImage topic {name!r}; {listing}")
            self.topic, self.depth_topic = topic, depth_topic
            self.count = sum(c.msgcount for c in self.reader.connections if c.topic == topic)

    def __len__(self) -> int:
        return self.count

    def _decode(self, connection, raw) -> Tuple[float, np.ndarray]:
        msg = self.reader.deserialize(raw, connection.msgtype)
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if connection.msgtype.endswith("CompressedImage"):
            return stamp, decode_compressed(msg.format, msg.data)
        return stamp, decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data, bool(msg.is_bigendian))

    def __iter__(self) -> Iterator[Frame]:
        with self.reader:
            topics = {self.topic, self.depth_topic}
            connections = [c for c in self.reader.connections if c.topic in topics]
            pending: List[Tuple[float, np.ndarray]] = []    # images waiting for a later depth image
            depths: List[Tuple[float, np.ndarray]] = []     # recent depth images, in stamp order
            for connection, log_time, raw in self.reader.messages(connections=connections):
                stamp, pixels = self._decode(connection, raw)
                stamp = stamp or log_time * 1e-9
                if connection.topic == self.depth_topic:
                    depths = [*depths[-31:], (stamp, depth_to_metres(pixels))]
                else:
                    pending.append((stamp, to_gray_or_rgb8(pixels, bgr=False)))
                # An image is complete once no later depth image can be nearer to it.
                while pending and (self.depth_topic is None or len(pending) > 32
                                   or depths and depths[-1][0] > pending[0][0] + self.max_depth_dt):
                    yield self._frame(*pending.pop(0), depths)
            for image in pending:
                yield self._frame(*image, depths)

    def _frame(self, stamp: float, image: np.ndarray, depths) -> Frame:
        if not depths:
            return Frame(stamp, image, None)
        dt, depth = min(((abs(s - stamp), d) for s, d in depths), key=lambda item: item[0])
        return Frame(stamp, image, depth if dt <= self.max_depth_dt else None)

    def camera(self) -> Optional[CameraModel]:
        """The first CameraInfo next to the image topic (same namespace), or the only one in the bag."""
        with self.reader:
            infos = [c for c in self.reader.connections if c.msgtype == CAMERA_INFO_TYPE]
            namespace = self.topic.rsplit("/", 1)[0]
            near = [c for c in infos if c.topic.rsplit("/", 1)[0] == namespace]
            chosen = near or (infos if len(infos) == 1 else [])
            if not chosen:
                return None
            for connection, _, raw in self.reader.messages(connections=chosen[:1]):
                msg = self.reader.deserialize(raw, connection.msgtype)
                return CameraModel.from_camera_info(msg.k, msg.d, msg.distortion_model, msg.width, msg.height)
        return None


def open_source(source, topic: Optional[str] = None, depth_folder=None, depth_scale: float = 1000.0,
                depth_topic: Optional[str] = None):
    """The frame source for a path: image folder, rosbag2 folder (it has metadata.yaml), bag file or video.

    Depth comes from a folder (image folders) or a topic (bags).
    """
    path = Path(source)
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    is_bag = path.is_dir() and (path / "metadata.yaml").exists() or path.suffix.lower() in BAG_SUFFIXES
    if depth_folder is not None and (is_bag or not path.is_dir()):
        raise ValueError("a depth folder goes with an image folder; for a bag use the depth topic")
    if depth_topic is not None and not is_bag:
        raise ValueError("a depth topic needs a bag source")
    if is_bag:
        return RosBag(path, topic, depth_topic)
    if path.is_dir():
        return ImageFolder(path, depth_folder, depth_scale)
    return VideoFile(path)


# --- cameras --------------------------------------------------------------------------------------------------------
def camera_from_values(values: Sequence[float], width: int, height: int) -> CameraModel:
    """`--camera fx fy cx cy [d0 d1 ...]`: 4 or 5 coefficients are plumb_bob, 8 rational_polynomial."""
    values = [float(v) for v in values]
    if len(values) < 4:
        raise ValueError(f"--camera needs fx fy cx cy [distortion...], got {len(values)} numbers")
    D = values[4:]
    model = {0: "plumb_bob", 4: "plumb_bob", 5: "plumb_bob", 8: "rational_polynomial"}.get(len(D))
    if model is None:
        raise ValueError(f"--camera takes 0, 4, 5 or 8 distortion coefficients, got {len(D)}")
    return CameraModel(*values[:4], width, height, model, D)


def read_camera_info_yaml(path) -> CameraModel:
    """A camera_calibration / camera_info_manager YAML file (image_width, camera_matrix, distortion_...)."""
    import yaml

    try:
        info = yaml.safe_load(Path(path).read_text())
        K = info["camera_matrix"]["data"]
        D = (info.get("distortion_coefficients") or {}).get("data") or []
        return CameraModel.from_camera_info(K, D, info.get("distortion_model", "plumb_bob"),
                                            info["image_width"], info["image_height"])
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read camera info {path}: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a CameraInfo YAML (missing {exc}); expected image_width, image_height, "
                         "camera_matrix {rows, cols, data}, distortion_model, distortion_coefficients") from None


def write_camera_info_yaml(path, camera: CameraModel, camera_name: str = "camera") -> None:
    """The camera_calibration format, readable by camera_info_manager and `read_camera_info_yaml`."""
    import yaml

    K = np.asarray(camera.K, dtype=float)

    def matrix(rows, cols, data):
        return {"rows": rows, "cols": cols, "data": [float(v) for v in np.ravel(data)]}

    info = {
        "image_width": camera.width, "image_height": camera.height, "camera_name": camera_name,
        "camera_matrix": matrix(3, 3, K),
        "distortion_model": camera.distortion_model if camera.distortion_model != "none" else "plumb_bob",
        "distortion_coefficients": matrix(1, len(camera.D) or 5, camera.D if len(camera.D) else np.zeros(5)),
        "rectification_matrix": matrix(3, 3, np.eye(3)),
        "projection_matrix": matrix(3, 4, np.hstack([K, np.zeros((3, 1))])),
    }
    Path(path).write_text(yaml.safe_dump(info, sort_keys=False, default_flow_style=None))
