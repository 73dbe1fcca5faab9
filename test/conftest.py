# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: the path to the real data, ../shared/data (or $LIGHTGLUE_ROS_DATA)."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LIGHTGLUE_ROS_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real evaluation data.

    Where it is absent (e.g. `colcon test` in a workspace without it) the tests that read it skip, except under CI (`CI`
    set), where they fail: CI must never pass by skipping them.
    """
    if not DATA.is_dir():
        reason = f"no real evaluation data at {DATA} (set LIGHTGLUE_ROS_DATA to its folder)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{reason}; CI must run these tests", pytrace=False)
        pytest.skip(reason)
    return DATA
