# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""VOConfig: the one place for parameter defaults."""
import dataclasses

import pytest

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
