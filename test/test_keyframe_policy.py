# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Keyframe policy: each threshold of VOConfig triggers a new keyframe on its own; none triggers nominally."""
import pytest

from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.keyframe import KeyframePolicy

CONFIG = VOConfig(keyframe_min_inliers=100, keyframe_min_inlier_ratio=0.5, keyframe_max_parallax_px=40.0,
                  keyframe_max_age=20, keyframe_min_points=30, keyframe_max_rotation_deg=12.0)
NOMINAL = dict(num_inliers=200, num_matches=250, parallax_px=10.0, age=5, num_points=150, rotation_deg=3.0)


def test_nominal_frame_keeps_the_keyframe():
    assert KeyframePolicy(CONFIG).reason(**NOMINAL) is None
    # During monocular initialisation there are no points yet: that alone is no reason.
    assert KeyframePolicy(CONFIG).reason(**{**NOMINAL, "num_points": None}) is None


@pytest.mark.parametrize("change, expected", [
    (dict(num_inliers=99, num_matches=120), "inliers 99 < 100"),
    (dict(num_inliers=120, num_matches=250), "inlier ratio 0.48 < 0.5"),
    (dict(parallax_px=40.5), "parallax 40.5 px > 40.0"),
    (dict(age=20), "age 20 >= 20"),
    (dict(num_points=29), "inliers with known points 29 < 30"),
    (dict(rotation_deg=12.5), "rotation 12.5 deg > 12.0"),
])
def test_each_threshold_triggers(change, expected):
    assert KeyframePolicy(CONFIG).reason(**{**NOMINAL, **change}) == expected


def test_thresholds_come_from_the_config():
    relaxed = VOConfig(keyframe_min_inliers=10, keyframe_min_inlier_ratio=0.1, keyframe_max_parallax_px=100.0,
                       keyframe_max_age=1000, keyframe_min_points=0, keyframe_max_rotation_deg=180.0)
    assert KeyframePolicy(relaxed).reason(num_inliers=50, num_matches=250, parallax_px=60.0, age=500,
                                          num_points=0, rotation_deg=90.0) is None
    with pytest.raises(ValueError, match="keyframe_max_age"):
        VOConfig(keyframe_max_age=0)
