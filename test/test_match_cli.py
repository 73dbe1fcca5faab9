# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo match` end to end on two real frames: JSON in input pixels, a picture of the matches."""
import json

import cv2
import numpy as np
import pytest

from lightglue_ros.cli import main

FRAMES = ("tum_fr3_office_17/1341847980.722988.png", "tum_fr3_office_17/1341847981.726650.png")


def test_match_writes_json_in_input_pixels_and_a_picture(data_dir, tmp_path):
    out, viz = tmp_path / "matches.json", tmp_path / "matches.png"
    image0, image1 = (str(data_dir / f) for f in FRAMES)
    assert main(["match", image0, image1, "--max-keypoints", "256", "--resize", "320", "240",
                 "--device", "cpu", "--json", str(out), "--viz", str(viz)]) == 0
    result = json.loads(out.read_text())
    keypoints0, keypoints1 = np.array(result["keypoints0"]), np.array(result["keypoints1"])
    matches = np.array(result["matches"])
    # The models saw 320x240; the keypoints must still span the 640x480 input.
    for keypoints in (keypoints0, keypoints1):
        assert keypoints.min() >= -0.5 and keypoints[:, 0].max() <= 639.5 and keypoints[:, 1].max() <= 479.5
        assert keypoints[:, 0].max() > 400 and keypoints[:, 1].max() > 300
    assert len(matches) > 50 and len(result["scores"]) == len(matches)
    assert matches[:, 0].max() < len(keypoints0) and matches[:, 1].max() < len(keypoints1)
    assert 1 <= result["stop_layer"] <= result["num_layers"] == 9
    assert {"extract", "encode", "match"} <= set(result["timings_ms"])
    # Consecutive frames of a slow camera: matched points move little.
    displacement = np.linalg.norm(keypoints0[matches[:, 0]] - keypoints1[matches[:, 1]], axis=1)
    assert np.median(displacement) < 60
    picture = cv2.imread(str(viz))
    assert picture.shape == (480, 1280, 3)


def test_match_unreadable_image_is_a_clear_error(tmp_path):
    missing = tmp_path / "missing.png"
    with pytest.raises(FileNotFoundError, match="missing.png"):
        main(["match", str(missing), str(missing), "--device", "cpu"])


def test_bench_match_compares_with_the_official_code(capsys):
    """A tiny run of the benchmark: it must run ours and the official code and find the same matches."""
    assert main(["bench", "match", "--keypoints", "128", "--resize", "320", "--repeats", "1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("cpu ")]
    assert len(rows) == 2  # adaptivity on and off
    for row in rows:
        extract_ms, ref_extract_ms, match_ms, ref_match_ms = map(float, (row[5], row[6], row[9], row[10]))
        assert min(extract_ms, ref_extract_ms, match_ms, ref_match_ms) > 0
        assert float(row[12].rstrip("%")) >= 99.0  # identical assignments, ours vs official
