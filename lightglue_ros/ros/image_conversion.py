# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""sensor_msgs images ↔ numpy for the node, with our own decoders on every install.

The decoding itself is the ROS-free `lightglue_ros.vo.sources.decode_image` / `decode_compressed` (also used for
bags); this module only adapts message objects. cv_bridge is not used even where it is installed: in passthrough
mode it hands Bayer images over as a grey mosaic and yuv422 as two channels, and one decoder everywhere gives the
same pixels on every install (live, bags, tests).
"""
from __future__ import annotations

import numpy as np

from lightglue_ros.vo.sources import decode_compressed, decode_image, to_gray_or_rgb8


def image_from_msg(msg) -> np.ndarray:
    """sensor_msgs/Image → what the tracker takes (H x W gray or H x W x 3 RGB, uint8), or the raw depth array.

    Depth encodings (16UC1, 32FC1) stay as they are. ValueError with the reason for anything malformed.
    """
    image = decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data, bool(msg.is_bigendian))
    if msg.encoding in ("16UC1", "32FC1"):
        return image
    return to_gray_or_rgb8(image, bgr=False)  # decode_image returns colour as RGB already


def image_from_compressed(msg) -> np.ndarray:
    return decode_compressed(msg.format, msg.data)


# encoding → numpy dtype and channels, for publishing
_OUTGOING = {"rgb8": (np.uint8, 3), "bgr8": (np.uint8, 3), "mono8": (np.uint8, 1), "mono16": (np.uint16, 1),
             "16UC1": (np.uint16, 1), "32FC1": (np.float32, 1), "rgba8": (np.uint8, 4), "bgra8": (np.uint8, 4)}


def numpy_to_image(array: np.ndarray, encoding: str, stamp, frame_id: str):
    """A numpy array → sensor_msgs/Image (dense rows, little endian)."""
    from sensor_msgs.msg import Image

    if encoding not in _OUTGOING:
        raise ValueError(f"cannot publish encoding {encoding!r}; one of {', '.join(_OUTGOING)}")
    dtype, channels = _OUTGOING[encoding]
    array = np.ascontiguousarray(array, dtype=dtype)
    if array.ndim != (2 if channels == 1 else 3) or (channels > 1 and array.shape[2] != channels):
        raise ValueError(f"{encoding} needs {channels} channel(s), got an array of shape {array.shape}")
    msg = Image()
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.height, msg.width = array.shape[:2]
    msg.encoding, msg.is_bigendian = encoding, 0
    msg.step = array.shape[1] * channels * array.dtype.itemsize
    msg.data = array.tobytes()
    return msg
