# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: the path to the real data, ../shared/data (or $LIGHTGLUE_ROS_DATA), and tf2_msgs.

tf2_msgs has no wheel, so where no ROS install provides it the session builds it first (test/build_tf2_msgs.py, cached
in build/tf2_msgs/) and puts it on sys.path and PYTHONPATH: the same for every test and every process a test starts.
"""
import importlib.util
import os
import sys
from pathlib import Path

import pytest

from build_tf2_msgs import CACHE, ensure_built

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LIGHTGLUE_ROS_DATA", ROOT.parent / "shared" / "data"))
TF2_MSGS_ERROR = []  # why tf2_msgs could not be built, for the tests that need it


def pytest_configure(config):
    """tf2_msgs importable here and in subprocesses for the whole session, before test modules are imported."""
    spec = importlib.util.find_spec("tf2_msgs")
    if spec is not None and spec.origin and CACHE not in Path(spec.origin).parents:  # a ROS install's, as tf2_ros
        return
    try:
        path = str(ensure_built())
    except Exception as error:  # the generators raise their own kinds; only the tests using tf2_msgs fail, with it
        TF2_MSGS_ERROR.append(f"{type(error).__name__}: {error}")
        return
    sys.path.insert(0, path)
    os.environ["PYTHONPATH"] = os.pathsep.join([path] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                         if p and p != path])


@pytest.fixture(scope="session")
def tf2_msgs():
    """The tf2_msgs package; a test that needs it fails (never skips) where it could not be built."""
    if TF2_MSGS_ERROR:
        pytest.fail(f"tf2_msgs could not be built (test/build_tf2_msgs.py): {TF2_MSGS_ERROR[0]}", pytrace=False)
    import tf2_msgs
    return tf2_msgs


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


def tum_rpy_frames(data_dir: Path, count: int, size=(320, 240)):
    """The first `count` frames of tum_fr1_rpy at `size` (CI-sized), and its camera.

    Returns [(stamp, bgr, depth in metres)] and camera.txt's values with the intrinsics scaled to `size` (the distortion
    as it is).
    """
    import cv2
    import numpy as np

    root = data_dir / "tum_fr1_rpy"
    values = [float(v) for v in (root / "camera.txt").read_text().split()]
    scale = size[0] / 640.0
    rows = [line.split() for line in (root / "associations.txt").read_text().splitlines()
            if line and not line.startswith("#")][:count]
    frames = [(float(stamp), cv2.resize(cv2.imread(str(root / rgb)), size, interpolation=cv2.INTER_AREA),
               cv2.resize(cv2.imread(str(root / depth), cv2.IMREAD_UNCHANGED), size, interpolation=cv2.INTER_NEAREST)
               .astype(np.float32) / 5000.0) for stamp, rgb, _, depth in rows]
    return frames, [v * scale for v in values[:4]] + values[4:]


@pytest.fixture(scope="session")
def small_synthetic(tmp_path_factory):
    """A function: a `lightglue-vo synth` sequence at 320x240 with the small CPU VO config beside it (vo.yaml)."""
    from lightglue_ros.cli import main

    def make(trajectory: str, frames: int, seed: int, fps: float) -> Path:
        out = tmp_path_factory.mktemp(trajectory)
        assert main(["synth", str(out), "--frames", str(frames), "--size", "320x240", "--trajectory", trajectory,
                     "--seed", str(seed), "--fps", str(fps)]) == 0
        (out / "vo.yaml").write_text("resize: 0\nmax_keypoints: 256\ndevice: cpu\n")
        return out
    return make
