# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Inputs and pairing: each image paired with the CameraInfo and depth of its stamp, then the frame mailbox.

Images wait for their CameraInfo (and depth) in a `PairingQueue` on the executor thread, as image_transport's camera
subscriber pairs them (an exact-time synchroniser with a queue): a CameraInfo that comes 0.8 s after its image still
pairs, while the worker goes on tracking the images already paired. The paired images go to the worker through the
one-slot `LatestFrame` mailbox, newest first.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, List, Optional

import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from lightglue_ros.ros.image_conversion import image_from_msg
from lightglue_ros.ros.node_log import NodeLog
from lightglue_ros.ros.sync import PairingQueue, Partner, stamp_ns
from lightglue_ros.vo.camera import CameraModel
from lightglue_ros.vo.scale import depth_to_metres

# How long an image waits for its CameraInfo when none of its size has come yet (the first image, a new resolution):
# the newest would be no use to it, it would be rejected. A CameraInfo lost on the wire comes by Fast DDS's repair,
# on the writer's next heartbeat (every 3 s by default): a camera that starts publishing the moment it sees our
# subscription, before our side of the discovery is done, or a CameraInfo dropped beside a large image on a loaded
# host (measured: 1.4 s after its image, although sent before it).
CAMERA_INFO_GRACE_S = 3.5
PAIRING_MISSES = 5          # images without a CameraInfo of their stamp before pairing by stamp is given up
PAIRING_QUEUE = 64          # images waiting for their CameraInfo at most (0.8 s at 60 Hz fits)
DEPTH_IDLE_S = 2.0          # depth images came this recently: images wait for theirs up to sync_wait_s ...
DEPTH_IDLE_WAIT_S = 0.1     # ... else only this long (a publisher that is silent, or sends now and then)
ALIGNED_DEPTH_HINT = "/camera/aligned_depth_to_color/image_raw"  # realsense2_camera's name, with align_depth


@dataclass
class Arrival:
    """An image on its way to the worker, with the CameraInfo and depth image of its stamp (or None)."""

    msg: Any
    received: float                # monotonic, when the image arrived
    released: float                # monotonic, when its pairing was done
    info: Optional[CameraInfo]
    depth: Optional[Image]
    paired: bool                   # `info` has the image's stamp (else it is the newest one, or None)


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

    def clear(self) -> bool:
        """Drop what is waiting; whether something was."""
        with self._condition:
            dropped, self._item = self._item is not None, None
            return dropped

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()


class CameraInput:
    """The CameraInfos and depth images received, each image's pairing, and the camera model and depth of a frame.

    The pairing runs on the executor thread (`on_image`, `on_camera_info`, `on_depth`, `due`, `clear`); `camera_for`
    and `depth_for` on the worker.
    """

    def __init__(self, log: NodeLog, on_drop):
        self.log = log
        self.camera_infos = Partner()
        self.depths = Partner(predict=True)        # depth at half the colour rate: every other image has none
        self.queue = PairingQueue({"camera_info": self.camera_infos, "depth": self.depths}, PAIRING_QUEUE, on_drop)
        self.camera: Optional[CameraModel] = None  # the last frame's
        self.pairing = None                        # True: stamps match CameraInfo; False: the camera never does
        self.pairing_misses = 0                    # images without a CameraInfo of their stamp, before any had one
        self.image_size = None                     # the last image's (width, height), executor thread

    # --- pairing (executor thread) -------------------------------------------------------------------------

    def on_image(self, msg, now: float, cfg, wants_depth: bool) -> List[Arrival]:
        """An image arrived; the images whose pairing is done (this one, if its partners are here)."""
        waits_for = {}
        if self.pairing is not False:
            waits_for["camera_info"] = cfg.sync_wait_s
            size = (getattr(msg, "width", 0), getattr(msg, "height", 0))  # (0, 0): compressed, known once decoded
            first_of_its_size, self.image_size = size != self.image_size, size  # the later ones wait behind it
            if first_of_its_size and self._no_camera_info_fits(size, cfg):
                waits_for["camera_info"] = max(cfg.sync_wait_s, CAMERA_INFO_GRACE_S)
        if wants_depth:
            self.depths.tolerance_ns = int(cfg.depth_max_stamp_diff_s * 1e9)
            flowing = now - self.depths.last_arrival < DEPTH_IDLE_S
            waits_for["depth"] = cfg.sync_wait_s if flowing else min(cfg.sync_wait_s, DEPTH_IDLE_WAIT_S)
        return self._arrivals(self.queue.arrive(stamp_ns(msg.header.stamp), msg, now, waits_for), now)

    def _no_camera_info_fits(self, size: tuple, cfg) -> bool:
        """Whether the newest CameraInfo (or the `intrinsics` parameter, when none came) cannot serve the image.

        `size`: the image's (width, height), (0, 0) when unknown (compressed): taken to fit.
        """
        newest = self.camera_infos.buffer.newest()
        if newest is None:
            return not any(cfg.intrinsics)
        return bool(size[0]) and (newest.width, newest.height) != size

    def on_camera_info(self, msg: CameraInfo, now: float) -> tuple:
        """(its stamp, the images whose pairing is done)."""
        stamp = stamp_ns(msg.header.stamp)
        return stamp, self._arrivals(self.queue.partner_arrived("camera_info", stamp, msg, now), now)

    def on_depth(self, msg: Image, now: float) -> List[Arrival]:
        return self._arrivals(self.queue.partner_arrived("depth", stamp_ns(msg.header.stamp), msg, now), now)

    def due(self, now: float) -> List[Arrival]:
        """The images whose partners did not come in time: they go on with what they have."""
        return self._arrivals(self.queue.due(now), now) if self.queue.waiting else []

    def clear(self) -> int:
        """Drop the waiting images (deactivate, told to `on_drop`); how many."""
        return self.queue.clear()

    def _arrivals(self, entries: list, now: float) -> List[Arrival]:
        arrivals = []
        for entry in entries:  # grows when pairing is given up below
            info = entry.found.get("camera_info")
            paired = info is not None
            if paired:
                self.pairing = True
            else:
                info = self.camera_infos.buffer.newest()
                if info is not None and self.pairing is None:
                    self.pairing_misses += 1
                    if self.pairing_misses >= PAIRING_MISSES:
                        self.pairing = False
                        self.log.once("pairing", "camera_info stamps never equal the image stamps: each image now "
                                                 "takes the newest camera_info")
                        entries.extend(self.queue.give_up("camera_info"))
            arrivals.append(Arrival(entry.item, entry.arrived, now, info, entry.found.get("depth"), paired))
        return arrivals

    # --- the frame's camera and depth (worker thread) ------------------------------------------------------

    def camera_for(self, arrival: Arrival, image: np.ndarray, cfg, image_topic: str) -> Optional[CameraModel]:
        """The camera model of an image; None when there is none.

        From the CameraInfo of the image's stamp, else (a CameraInfo that never came, a camera that never stamps them
        alike) the newest one, else the `intrinsics` parameter.
        """
        info = arrival.info
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
            which = "" if arrival.paired else " (the newest: none came with the image's stamp)"
            raise ValueError(f"image is {width}x{height} but the camera_info is {camera.width}x{camera.height}{which}")
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

    def depth_for(self, arrival: Arrival, shape, depth_topic: str) -> Optional[np.ndarray]:
        """The depth image (metres) paired with the frame, if it is aligned to it: same frame_id, same size."""
        msg = arrival.depth
        if msg is None:
            return None
        frame = arrival.msg.header.frame_id
        if msg.header.frame_id != frame:
            self.log.once(f"unaligned {msg.header.frame_id}",
                          f"depth ignored: {depth_topic} is in frame '{msg.header.frame_id}', the images in "
                          f"'{frame}': it is not aligned to them. Give the depth registered to the colour camera "
                          f"(e.g. {ALIGNED_DEPTH_HINT} of realsense2_camera with align_depth.enable)")
            return None
        try:
            depth = depth_to_metres(image_from_msg(msg))
            if depth.shape != tuple(shape):
                raise ValueError(f"it is {depth.shape[1]}x{depth.shape[0]}, the image {shape[1]}x{shape[0]}")
            return depth
        except ValueError as error:
            self.log.throttled("warning", f"depth ignored: {error}")
            return None
