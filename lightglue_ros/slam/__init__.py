# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The SLAM half beside the odometry frontend: loop closure, relocalisation and maps on disk, ROS-free.

    backend = SlamBackend(SlamConfig(), matcher, camera, metric=False, features="aliked")
    link = TrackerLink(tracker, backend)
    for image, stamp in frames:
        result = tracker.process(image, stamp)
        link.observe(result)                      # hands settled keyframes to the backend; never waits for it
        T_map_camera = link.corrected_pose(result)

`database` keeps what the frontend keeps per keyframe (pose, keypoints, descriptors, 3D points) on the CPU,
`place_recognition` finds revisits with a VLAD vocabulary built online from the map's own descriptors,
`verification` checks them with LightGlue and PnP on the candidate's 3D points, `pose_graph` optimises Sim(3)
(monocular) or SE(3) (metric) poses with gtsam, `map_file` saves and loads the map, `backend` ties them together
(in a background thread or inline) and `link` feeds it from the tracker. `vo/` never imports this package.
"""
from .backend import SlamBackend
from .config import SlamConfig
from .link import TrackerLink

__all__ = ["SlamBackend", "SlamConfig", "TrackerLink"]
