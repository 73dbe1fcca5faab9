# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Write a rosbag2 of the real TUM frames (bgr8 Image + CameraInfo) with `rosbags`, for the bag tests."""
from pathlib import Path

import cv2
import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

TUM_K = (535.4, 0.0, 320.1, 0.0, 539.2, 247.6, 0.0, 0.0, 1.0)
IMAGE_TOPIC = "/camera/image"
INFO_TOPIC = "/camera/camera_info"


def tum_frames(data_dir: Path, count: int | None = None):
    """(stamp_ns, BGR image) of the TUM frames, in time order; the stamp is the file name."""
    paths = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[:count]
    return [(int(round(float(p.stem) * 1e9)), cv2.imread(str(p), cv2.IMREAD_COLOR)) for p in paths]


def write_tum_bag(path: Path, frames, storage: StoragePlugin = StoragePlugin.SQLITE3,
                  frame_id: str = "camera") -> Path:
    """A rosbag2 with one bgr8 Image and one CameraInfo per frame, both stamped (and logged) at the frame time.

    The CameraInfo is logged 1 ns before its image so that players publish it first.
    """
    store = get_typestore(Stores.LATEST)
    T = store.types
    with Writer(path, version=9, storage_plugin=storage) as writer:
        image_conn = writer.add_connection(IMAGE_TOPIC, "sensor_msgs/msg/Image", typestore=store)
        info_conn = writer.add_connection(INFO_TOPIC, "sensor_msgs/msg/CameraInfo", typestore=store)
        for stamp_ns, bgr in frames:
            sec, nanosec = divmod(stamp_ns, 1_000_000_000)
            stamp = T["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec)
            header = T["std_msgs/msg/Header"](stamp=stamp, frame_id=frame_id)
            h, w = bgr.shape[:2]
            roi = T["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0,
                                                        do_rectify=False)
            info = T["sensor_msgs/msg/CameraInfo"](
                header=header, height=h, width=w, distortion_model="plumb_bob",
                d=np.zeros(5), k=np.array(TUM_K), r=np.eye(3).ravel(),
                p=np.array([TUM_K[0], 0, TUM_K[2], 0, 0, TUM_K[4], TUM_K[5], 0, 0, 0, 1, 0], dtype=float),
                binning_x=0, binning_y=0, roi=roi)
            image = T["sensor_msgs/msg/Image"](header=header, height=h, width=w, encoding="bgr8", is_bigendian=0,
                                               step=w * 3, data=np.ascontiguousarray(bgr).ravel())
            writer.write(info_conn, stamp_ns - 1, store.serialize_cdr(info, info_conn.msgtype))
            writer.write(image_conn, stamp_ns, store.serialize_cdr(image, image_conn.msgtype))
    return path
