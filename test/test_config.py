# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""VOConfig: the one place for parameter defaults; NodeConfig's own checks."""
import dataclasses
import math

import pytest

from lightglue_ros.ros.node_config import NodeConfig
from lightglue_ros.vo.config import VOConfig


def test_every_field_is_documented():
    for f in dataclasses.fields(VOConfig):
        assert f.metadata.get("description"), f"{f.name} has no description"
        if f.type in ("int", "float"):
            assert "range" in f.metadata, f"{f.name} has no range"


def test_out_of_range_and_unknown_values_are_rejected_with_the_field_name():
    with pytest.raises(ValueError, match="max_keypoints"):
        VOConfig(max_keypoints=10)
    with pytest.raises(ValueError, match="features"):
        VOConfig(features="orb")
    with pytest.raises(ValueError, match="not_a_knob"):
        VOConfig.from_dict({"not_a_knob": 1})
    assert VOConfig.from_dict({"max_keypoints": 512}).max_keypoints == 512


def test_base_from_camera_is_checked_and_its_quaternion_normalised():
    for bad, reason in [((0, 0, 0, 0, 0, 0, 0), "norm"), ((0, 0, 0, 0, 0, 0, 1e-9), "norm"),
                        ((float("nan"), 0, 0, 0, 0, 0, 1), "finite"), ((0, 0, 0, 0, 0, float("inf"), 1), "finite"),
                        ((0, 0, 0, 0, 0, 1), "7"), ((0, 0, 0, 0, 0, 0, 1, 0), "7"), (("a",) * 7, "7 numbers")]:
        with pytest.raises(ValueError, match=f"base_from_camera.*{reason}"):
            NodeConfig(base_from_camera=bad)
    # Rounded values, as typed: the rotation part is made unit, the position kept.
    pose = NodeConfig(base_from_camera=[1.0, 2.0, 3.0, -0.5, 0.5, -0.5, 0.5001]).base_from_camera
    assert pose[:3] == (1.0, 2.0, 3.0) and math.isclose(math.hypot(*pose[3:]), 1.0, abs_tol=1e-12)
    assert NodeConfig(base_from_camera=[0, 0, 0, 0, 0, 0, 2]).base_from_camera == (0, 0, 0, 0, 0, 0, 1)
    assert NodeConfig().base_from_camera == (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    restart = {f.name for f in dataclasses.fields(NodeConfig) if f.metadata.get("restart")}
    assert "base_from_camera" in restart  # a live change would re-express the trajectory already published
