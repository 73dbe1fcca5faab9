# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Inputs and pairing: the frame mailbox, and each image paired with the CameraInfo and depth of its stamp."""
from __future__ import annotations

import threading
from typing import Optional

import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from lightglue_ros.ros.image_conversion import image_from_msg
from lightglue_ros.ros.node_log import NodeLog
from lightglue_ros.ros.sync import StampedBuffer, stamp_ns
from lightglue_ros.vo.camera import CameraModel
from lightglue_ros.vo.scale import depth_to_metres

# How long the first image waits for any CameraInfo before it is rejected. A camera that starts publishing the moment
# it sees our subscription can be faster than our side of the discovery: its first reliable samples then come by
# Fast DDS's repair, on the writer's next heartbeat (every 3 s by default).
CAMERA_INFO_GRACE_S = 3.5
PAIRING_MISSES = 5          # images without a CameraInfo of their stamp before pairing by stamp is given up


class LatestFrame:
    """A one-slot mailbox: put() replaces what is waiting (and says so), take() blocks for the next."""

    def __init__(self):
        self._condition = threading.Condition()
        self._item = None
        self.closed = False

    def put(self, item) -> bool:
        with self._condition:
            replaced = self._item is not None
            self._item = item
            self._condition.notify()
            return replaced

    def take(self):
        with self._condition:
            while self._item is None and not self.closed:
                self._condition.wait(0.5)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()


class CameraInput:
    """The CameraInfos and depth images received, and the camera model and depth of each image.

    Filled on the executor thread (`on_camera_info`, `on_depth`), read on the worker.
    """

    def __init__(self, log: NodeLog):
        self.log = log
        self.camera_infos = StampedBuffer()
        self.depths = StampedBuffer()
        self.camera: Optional[CameraModel] = None  # the last image's
        self.pairing = None                        # True: stamps match CameraInfo; False: the camera never does
        self.pairing_misses = 0                    # images without a CameraInfo of their stamp, before any had one

    def on_camera_info(self, msg: CameraInfo) -> int:
        stamp = stamp_ns(msg.header.stamp)
        self.camera_infos.put(stamp, msg)
        return stamp

    def on_depth(self, msg: Image) -> None:
        self.depths.put(stamp_ns(msg.header.stamp), msg)

    def camera_for(self, stamp, image: np.ndarray, cfg, image_topic: str, first: bool) -> Optional[CameraModel]:
        """The camera model of an image; None when there is none.

        From the CameraInfo with the image's stamp (waiting `sync_wait_s` for it), else the newest one when the
        camera never stamps them alike, else the `intrinsics` parameter. `first`: no frame processed yet.
        """
        info = self.camera_infos.wait_for(stamp_ns(stamp), timeout=cfg.sync_wait_s if self.pairing
                                          is not False else 0.0)
        if info is not None:
            self.pairing = True
        else:
            info = self.camera_infos.newest()
            if info is None and not any(cfg.intrinsics) and first:
                # Image and CameraInfo come on separate subscriptions: give the first CameraInfo a moment.
                info = self.camera_infos.wait_for(stamp_ns(stamp), tolerance_ns=1 << 62,
                                                  timeout=CAMERA_INFO_GRACE_S)
            if info is not None and self.pairing is None:
                self.pairing_misses += 1
                if self.pairing_misses >= PAIRING_MISSES:
                    self.pairing = False
                    self.log.once("pairing", "camera_info stamps never equal the image stamps: each image now "
                                             "takes the newest camera_info")
        height, width = image.shape[:2]
        if info is None:
            if not any(cfg.intrinsics):
                return None
            return CameraModel(*cfg.intrinsics, width=width, height=height)
        try:
            camera = self.camera_from_info(info, cfg.rectified_images, image_topic)
        except ValueError as error:
            if self.camera is None or (self.camera.width, self.camera.height) != (width, height):
                raise
            self.log.throttled("warning", f"camera_info ignored ({error}): the last good one stays in use")
            return self.camera
        if (camera.width, camera.height) != (width, height):
            raise ValueError(f"image is {width}x{height} but the camera_info is {camera.width}x{camera.height}")
        return camera

    def camera_from_info(self, info: CameraInfo, rectified: bool, topic: str) -> CameraModel:
        camera = CameraModel.from_camera_info(
            info.k, info.d, info.distortion_model or "plumb_bob", info.width, info.height, P=info.p,
            rectified=rectified, binning=(info.binning_x, info.binning_y),
            roi=(info.roi.x_offset, info.roi.y_offset, info.roi.width, info.roi.height))
        if not rectified and any(info.d) and "rect" in topic.rsplit("/", 1)[-1]:
            self.log.once("rectified", f"{topic} looks rectified but rectified_images is false: its CameraInfo's "
                                       "distortion would be applied a second time; set rectified_images true")
        elif rectified and any(info.d) and "raw" in topic.rsplit("/", 1)[-1]:
            self.log.once("rectified", f"{topic} looks raw but rectified_images is true: the lens distortion in "
                                       "its CameraInfo is ignored; set rectified_images false")
        return camera

    def depth_for(self, stamp, shape, cfg) -> Optional[np.ndarray]:
        """The aligned depth image (metres) with the frame's stamp, if one comes within `sync_wait_s`."""
        msg = self.depths.wait_for(stamp_ns(stamp), tolerance_ns=int(cfg.depth_max_stamp_diff_s * 1e9),
                                   timeout=cfg.sync_wait_s)
        if msg is None:
            return None
        try:
            depth = depth_to_metres(image_from_msg(msg))
            if depth.shape != tuple(shape):
                raise ValueError(f"it is {depth.shape[1]}x{depth.shape[0]}, the image {shape[1]}x{shape[0]}")
            return depth
        except ValueError as error:
            self.log.throttled("warning", f"depth ignored: {error}")
            return None
