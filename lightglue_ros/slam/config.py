# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Every knob of the SLAM backend, in one place (documented as VOConfig's are)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict

from ..vo.config import knob, knobs_from_dict, validate_knobs


@dataclass
class SlamConfig:
    # --- the map ---------------------------------------------------------------------------------------
    max_keypoints_per_keyframe: int = knob(512, "Keypoints a keyframe keeps in the map (those with a 3D point "
                                           "first, then by detection order, i.e. score): bounds the map's "
                                           "memory and the verification's matching time.", range=(64, 8192))
    max_map_keyframes: int = knob(2000, "The map's keyframes at most (about 160 KiB each at 512 ALIKED keypoints: "
                                  "2000 are ~320 MiB; bench/slam_scaling.py optimises a loop over them in "
                                  "0.15-0.25 s): past it the most redundant keyframe (the largest share of its "
                                  "points in its neighbours' view) is dropped. A loaded map's keyframes are never "
                                  "dropped.", range=(16, 10 ** 7))
    cull_coverage: float = knob(0.9, "A keyframe more than this share of whose 3D points both its neighbours in "
                                "its session see (in their field of view, at a depth within 20 %) is redundant "
                                "and dropped from the map (ORB-SLAM: 90 % of its points seen by 3 others); 1 "
                                "keeps them all until max_map_keyframes.", range=(0.0, 1.0))
    # --- place recognition -----------------------------------------------------------------------------
    vocabulary_clusters: int = knob(32, "VLAD vocabulary size (k-means centres over the map's own descriptors).",
                                    range=(4, 1024))
    vocabulary_keyframes: int = knob(8, "The vocabulary is trained once from the first this many keyframes' "
                                     "descriptors (and then kept, also in the saved map).", range=(1, 1000))
    candidates: int = knob(3, "Place-recognition candidates verified per keyframe (the most similar).",
                           range=(1, 50))
    min_similarity: float = knob(0.05, "VLAD similarity (centred: unrelated views score about 0, revisits "
                                 "0.15-0.5) below which a keyframe is no candidate.",
                                 range=(-1.0, 1.0))
    exclude_recent_keyframes: int = knob(20, "Keyframes this recent (of the same session) are never loop "
                                         "candidates: the odometry already links them.", range=(1, 100000))
    exclude_recent_s: float = knob(10.0, "Keyframes of the same session younger than this (seconds) are never "
                                   "loop candidates.", range=(0.0, 1e6))
    # --- verification ----------------------------------------------------------------------------------
    min_inliers: int = knob(40, "PnP RANSAC inliers a loop needs (AirSLAM: 45).", range=(6, 10000))
    min_inlier_ratio: float = knob(0.3, "PnP inliers over the matches with a 3D point, at least.",
                                   range=(0.0, 1.0))
    pnp_threshold_px: float = knob(3.0, "PnP RANSAC reprojection threshold (pixels).", range=(0.1, 50.0))
    min_spread: float = knob(0.25, "Share of a 4 x 4 grid over the query image that the inliers must cover "
                             "(a loop resting on one corner of the image is refused).", range=(0.0, 1.0))
    min_scale_points: int = knob(15, "Monocular: inliers with a 3D point in the query keyframe too, needed for the "
                                 "loop's scale.", range=(3, 10000))
    # --- acceptance ------------------------------------------------------------------------------------
    consistent_keyframes: int = knob(3, "Consecutive query keyframes whose verified loops must agree on the "
                                     "correction before it is accepted (ORB-SLAM: 3).", range=(1, 100))
    max_gap_keyframes: int = knob(3, "Keyframes without a verified loop that break a run of agreeing ones.",
                                  range=(1, 100))
    agree_rotation_deg: float = knob(3.0, "Agreeing loops' corrections differ by at most this rotation.",
                                     range=(0.0, 180.0))
    agree_translation: float = knob(0.15, "... and by at most this share of the query's median scene depth in "
                                    "position.", range=(0.0, 100.0))
    agree_scale: float = knob(0.05, "... and (monocular) by at most this log ratio in scale: on the synthetic "
                              "loop (seed 1, 640x480) a first edge 16 % off in scale, its neighbours within 1 %, bent "
                              "the map (ATE 0.011 m without SLAM, 0.030 m with; refused: 0.0054 m).",
                              range=(0.0, 10.0))
    max_correction_deg: float = knob(20.0, "A loop's correction of the query keyframe's rotation may not exceed "
                                     "this (cuVSLAM: 10 degrees).", range=(0.0, 180.0))
    max_correction_fraction: float = knob(0.2, "... nor move it by more than this share of the path travelled "
                                          "between the two keyframes (the drift the odometry can have built "
                                          "up; false loops between look-alike places move it further).",
                                          range=(0.0, 10.0))
    max_loop_error: float = knob(3.0, "After the optimisation a loop edge whose whitened error exceeds this "
                                 "(sigmas) disagrees with the rest of the graph: its loop is removed.",
                                 range=(0.1, 1000.0))
    # --- the map's bundle adjustment ---------------------------------------------------------------------
    global_adjustment: bool = knob(False, "Monocular: after each accepted loop edge, bundle-adjust the whole map "
                                   "(every localised keyframe's pose and the points the frontend's landmarks and "
                                   "the loops' matches tie together, `global_adjustment.py`): the pose graph bends "
                                   "every keyframe alike and leaves the odometry's scale wobble in. Off: on the "
                                   "synthetic loop at 240 frames it lowered the ATE 5-23 % (seeds 0-4), at 160 "
                                   "frames (longer steps, shorter landmark tracks) it raised it 0.012 -> 0.019 m.")
    global_adjustment_max_keyframes: int = knob(150, "The map's bundle adjustment runs while the map has at most "
                                                "this many keyframes (each step solves a dense 6K x 6K system: "
                                                "0.1-0.2 s at 47 keyframes on a 2-core CPU, once per accepted loop "
                                                "edge); past it the pose graph alone corrects.",
                                                range=(3, 100000))
    # --- the backend's thread (node: `start()`; offline runs are inline and use neither) -------------------
    thread_nice: int = knob(19, "OS niceness the backend's thread takes (Linux: per thread; 0: the frontend's): "
                            "on a CPU the frontend shares, its matching waits for the frontend's, not the other "
                            "way round (the backend runs behind instead).", range=(0, 19))
    thread_matcher_threads: int = knob(1, "Threaded: the verification's LightGlue runs in onnxruntime sessions of "
                                       "its own (made on first use; RSS measured +0.3 MiB at 640x480) with this "
                                       "many intra-op threads; 1: on the backend's thread alone, at its niceness "
                                       "(the tracker's sessions run on pool threads at the frontend's). 0: the "
                                       "tracker's sessions.", range=(0, 64))
    max_backlog_keyframes: int = knob(20, "Threaded: while more keyframes than this wait for the backend (it runs "
                                      "behind a busy frontend), a keyframe joins the map without being looked up "
                                      "for loops (the verification is its cost), so the queue and its memory stay "
                                      "bounded and the backend catches up.", range=(1, 100000))
    # --- pose graph ------------------------------------------------------------------------------------
    odometry_rotation_sigma_deg: float = knob(0.5, "Odometry edge: rotation sigma per keyframe step (degrees).",
                                              range=(1e-6, 90.0))
    odometry_translation_sigma: float = knob(0.05, "Odometry edge: translation sigma as a share of the step's "
                                             "length (plus 1 % of the scene depth).", range=(1e-6, 10.0))
    odometry_scale_sigma: float = knob(0.02, "Monocular odometry edge: log-scale sigma per keyframe step.",
                                       range=(1e-6, 10.0))
    loop_rotation_sigma_deg: float = knob(1.0, "Loop edge: rotation sigma (degrees).", range=(1e-6, 90.0))
    loop_translation_sigma: float = knob(0.03, "Loop edge: translation sigma as a share of the query's median "
                                         "scene depth.", range=(1e-6, 10.0))
    loop_scale_sigma: float = knob(0.03, "Monocular loop edge: log-scale sigma.", range=(1e-6, 10.0))

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field out of its range."""
        validate_knobs(self)

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "SlamConfig":
        return knobs_from_dict(cls, values, "SLAM")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)
