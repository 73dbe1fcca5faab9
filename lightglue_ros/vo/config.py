# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Every knob of the tracking frontend, in one place.

`VOConfig` is the single source of parameter defaults: the ROS node declares its parameters from these fields
(name, default, description, range), `config/*.yaml` mirrors them, and the offline runner builds one from its
command line. Each field's metadata carries a `description` and, for numbers, an inclusive `range`; string
choices carry `choices`, free strings a `pattern`; knobs that build something once (the models) carry `restart`: a
running node rejects live changes to them, while every other knob applies from the next frame.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Dict


# `range` shadows the builtin on purpose: it is the name the ParameterDescriptor (and every knob call) uses.
def knob(default, description: str, range=None, choices=None, pattern=None, restart=False):  # noqa: A002
    """A config field with the documentation the node turns into a ParameterDescriptor."""
    meta: Dict[str, Any] = {"description": description, "restart": restart}
    if range is not None:
        meta["range"] = range
    if choices is not None:
        meta["choices"] = tuple(choices)
    if pattern is not None:  # a regular expression the whole (string) value must match
        meta["pattern"] = pattern
    return field(default=default, metadata=meta)


def validate_knobs(config) -> None:
    """Raise ValueError naming the first field of a knob dataclass out of its range, choices or pattern."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        choices = f.metadata.get("choices")
        if choices is not None and value not in choices:
            raise ValueError(f"{f.name}={value!r}: must be one of {', '.join(choices)}")
        lo_hi = f.metadata.get("range")
        if lo_hi is not None:
            lo, hi = lo_hi
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ValueError(f"{f.name}={value!r}: must be a number in [{lo}, {hi}]")
        pattern = f.metadata.get("pattern")
        if pattern is not None and not re.fullmatch(pattern, str(value)):
            raise ValueError(f"{f.name}={value!r}: must match {pattern}")


def knobs_from_dict(cls, values: Dict[str, Any], what: str):
    """A knob dataclass from a mapping (YAML, ROS parameters); unknown keys are an error, not silently ignored."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"unknown {what} parameter(s): {', '.join(unknown)}")
    return cls(**values)


@dataclass
class VOConfig:
    # --- features and matching -------------------------------------------------------------------------
    features: str = knob("aliked", "Local features fed to LightGlue. SuperPoint's weights are non-commercial "
                         "and must be supplied by the user; ALIKED's are available offline.",
                         choices=("superpoint", "aliked", "disk"), restart=True)
    max_keypoints: int = knob(1024, "Keypoints extracted per image (top-k by score).", range=(64, 8192),
                              restart=True)
    resize: int = knob(640, "Resize images so the longer side has this many pixels before extraction "
                       "(0 keeps the input size). Keypoints are reported in input pixels.", range=(0, 4096),
                       restart=True)
    device: str = knob("auto", "Compute device: auto, cpu, cuda or cuda:N; 'auto' picks CUDA when available, "
                       "else CPU.", pattern=r"auto|cpu|cuda(:\d+)?", restart=True)
    precision: str = knob("auto", "Matcher precision; 'auto' is fp16 on CUDA and fp32 on CPU.",
                          choices=("auto", "fp32", "fp16", "bf16"), restart=True)
    depth_confidence: float = knob(0.95, "LightGlue early stopping: stop when this fraction of points is "
                                   "confident (-1 disables).", range=(-1.0, 1.0), restart=True)
    width_confidence: float = knob(0.99, "LightGlue point pruning confidence (-1 disables).", range=(-1.0, 1.0),
                                   restart=True)
    filter_threshold: float = knob(0.1, "Minimum LightGlue match score.", range=(0.0, 1.0), restart=True)
    backend: str = knob("auto", "Inference engine: 'torch', or 'onnxruntime' (the models exported to ONNX graphs "
                        "in the weight cache, built on first use; LightGlue still stops early and prunes); 'auto' "
                        "is onnxruntime on CPU (about 1.4x faster there) and torch on CUDA.",
                        choices=("auto", "torch", "onnxruntime"), restart=True)
    weights_dir: str = knob("", "Weight cache directory ('' = ~/.cache/lightglue_ros).", restart=True)

    # --- geometry --------------------------------------------------------------------------------------
    ransac_threshold_px: float = knob(1.0, "Essential-matrix RANSAC inlier threshold in pixels.",
                                      range=(0.1, 20.0))
    ransac_confidence: float = knob(0.9999, "RANSAC confidence.", range=(0.5, 1.0))
    ransac_max_iters: int = knob(10000, "RANSAC iteration cap.", range=(100, 1000000))
    min_inliers: int = knob(20, "Fewer essential-matrix inliers than this and the frame is not tracked.",
                            range=(5, 10000))
    min_parallax_px: float = knob(1.0, "Median inlier parallax (pixels, left after the best pure rotation) "
                                  "below which translation is unobservable and only rotation is updated.",
                                  range=(0.0, 100.0))
    init_min_parallax_px: float = knob(3.0, "Monocular (re-)initialisation waits for this median parallax "
                                       "(pixels) to the keyframe before it triangulates the first points.",
                                       range=(0.0, 200.0))
    min_triangulation_angle_deg: float = knob(0.5, "Triangulated points with rays closer than this angle "
                                              "(degrees) are too uncertain to carry the scale.",
                                              range=(0.0, 45.0))
    min_epipolar_gradient: float = knob(0.1, "Monocular triangulation skips keypoints with less than this share "
                                        "of their image gradient along the epipolar line (0.5 on a corner, 0 on "
                                        "an edge along it, where the match can slide and the depth is "
                                        "arbitrary).", range=(0.0, 0.5))
    pnp_threshold_px: float = knob(1.0, "Reprojection threshold (pixels) of the pose fit to the keyframe's known "
                                   "3D points (PnP RANSAC and its refinement).", range=(0.1, 50.0))
    pnp_epipolar: bool = knob(True, "The pose fit to known points also minimises the epipolar (Sampson) error "
                              "of all matches, so errors of triangulated points do not feed back into the pose.")
    refine_points: bool = knob(False, "Monocular: frames re-triangulate keyframe points they see at a wider angle "
                               "(else points are triangulated only between keyframes).")
    local_map_keyframes: int = knob(6, "Monocular: after each new keyframe, bundle adjustment refines the poses of "
                                    "the last this many keyframes and the points they share (the 2 oldest stay "
                                    "fixed; 2 or fewer disables it).", range=(0, 50))
    local_map_anchor_keyframes: int = knob(8, "Monocular: this many keyframes before the bundle adjustment's window "
                                           "stay in it fixed, with their observations of the window's points: "
                                           "they hold the points' depths, and so the scale, to the long baselines "
                                           "the points were seen over (0: the window's 2 oldest keyframes alone "
                                           "hold the scale, which then drifts; no effect while "
                                           "local_map_keyframes <= 2).", range=(0, 50))
    local_map_min_angle_deg: float = knob(0.0, "Monocular: landmarks whose rays meet at less than this angle "
                                          "(degrees) in the local map stay out of its bundle adjustment (the "
                                          "pose fits still use them; 0: every landmark). Seen from two or "
                                          "three keyframes alone, narrow points vote for too long a baseline "
                                          "(bench/narrow_points.py). Measured at 1.0 against 0: KITTI 01 ATE "
                                          "0.33 -> 0.26 %, scale drift 1.08 -> 1.05; KITTI 04 ATE 0.10 -> 0.11 "
                                          "%, t_err 0.76 -> 0.99 %; the synthetic street (2000 frames, seeds "
                                          "0-3) scale drift 1.14 1.24 1.30 1.13 -> 1.20 1.21 1.24 1.16, and "
                                          "the rotation error per frame up on all: mixed, so off.",
                                          range=(0.0, 45.0))
    landmark_search_radius_px: float = knob(0.0, "Monocular: local-map landmarks the new keyframe's matches "
                                            "did not link are searched for in it by projection, within this "
                                            "radius (pixels) and by descriptor, so points keep one track over "
                                            "many keyframes (0: off, tracks end where one match in the chain of "
                                            "keyframes is missed); matches the pose fit rejected are not "
                                            "re-linked. Measured at 4 px: ATE KITTI 04 0.10 -> 0.06 %, KITTI 01 "
                                            "0.33 -> 0.32 %, the synthetic street (seed 1, 2000 frames) 0.46 -> "
                                            "0.41 % and scale drift 1.24 -> 1.22, but its rotation error per "
                                            "frame up (0.018 -> 0.060 deg over 800 frames): too little gain to "
                                            "be on.", range=(0.0, 50.0))
    min_scale_points: int = knob(8, "Points with known depth needed to carry the scale (or fit the "
                                 "translation) against a keyframe.", range=(3, 10000))

    # --- keyframe policy -------------------------------------------------------------------------------
    keyframe_min_inliers: int = knob(150, "New keyframe when inliers to the keyframe drop below this.",
                                     range=(5, 10000))
    keyframe_min_inlier_ratio: float = knob(0.4, "New keyframe when the inlier ratio drops below this.",
                                            range=(0.0, 1.0))
    keyframe_max_parallax_px: float = knob(60.0, "New keyframe when the median parallax exceeds this.",
                                           range=(1.0, 1000.0))
    keyframe_min_points: int = knob(80, "New keyframe when fewer inliers than this have a known 3D point "
                                    "(the scale and the pose fit rest on them; in a turn they go fast: with 40, "
                                    "points lived 2-3 keyframes and KITTI 01's scale drifted 1.24x in its "
                                    "98 degree curve, 1.08x with 80).", range=(0, 10000))
    keyframe_max_rotation_deg: float = knob(15.0, "New keyframe when the camera turned more than this from the "
                                            "keyframe (degrees): in a sharp turn the known points leave the view "
                                            "within a keyframe, and the few left hand on the scale. A 2000-frame "
                                            "synthetic street (seed 2): 180 -> 15 gave scale drift 1.51 -> 1.30, "
                                            "ATE 0.62 -> 0.40 %; KITTI 01, 04 and TUM unchanged (no keyframe "
                                            "turned that far).", range=(0.1, 180.0))
    keyframe_max_age: int = knob(30, "New keyframe after this many frames at the latest.", range=(1, 100000))

    # --- tracking state --------------------------------------------------------------------------------
    lost_after_failures: int = knob(3, "Consecutive failed frames before the state becomes LOST.",
                                    range=(1, 1000))

    # --- scale -----------------------------------------------------------------------------------------
    use_depth: bool = knob(True, "Take metric scale from an aligned depth image when one is given.")
    depth_min_m: float = knob(0.1, "Depth readings below this (metres) are ignored.", range=(0.0, 100.0))
    depth_max_m: float = knob(10.0, "Depth readings above this (metres) are ignored.", range=(0.0, 1000.0))
    depth_edge_ratio: float = knob(1.05, "A keypoint whose 4 neighbouring depth pixels differ by more than this "
                                   "ratio (largest / smallest) sits on an occlusion edge: its depth is not used.",
                                   range=(1.0, 100.0))
    wheel_baseline_sigma: float = knob(0.01, "Monocular with a translation prior (wheel odometry): the bundle "
                                       "adjustment holds each keyframe's distance from the previous one to what "
                                       "the prior measured, with this standard deviation (fraction of the "
                                       "distance, weighed like a pixel of reprojection error), so the scale stays "
                                       "metric over distance (0: the prior sets the frames' steps only).",
                                       range=(0.0, 1.0))
    wheel_check_window_s: float = knob(0.5, "A translation prior (wheel odometry) is compared with the images "
                                       "over the frames of this many seconds: the distance the priors add up to "
                                       "and the distance the images see.", range=(0.0, 60.0))
    wheel_max_disagreement: float = knob(0.5, "A translation prior is not trusted when the two distances over "
                                         "wheel_check_window_s differ by more than this fraction of the prior's "
                                         "(and by wheel_min_disagreement_m): wheel slip, a robot lifted off the "
                                         "ground.", range=(0.0, 10.0))
    wheel_min_disagreement_m: float = knob(0.1, "Differences between the prior's and the images' distance over "
                                           "wheel_check_window_s below this (metres) are noise, never a "
                                           "disagreement.", range=(0.0, 100.0))

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field out of its range or choices."""
        validate_knobs(self)

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "VOConfig":
        """Build from a mapping (YAML, ROS parameters); unknown keys are an error, not silently ignored."""
        return knobs_from_dict(cls, values, "VO")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)
