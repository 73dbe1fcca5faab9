# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Our LightGlue against the official code on the official checkpoints and real image pairs.

Both get identical keypoints and descriptors (extracted once by our ALIKED / DISK), so any difference is the
matcher's. Adaptivity on and off; CPU, fp32.
"""
import cv2
import numpy as np
import pytest
import torch

from lightglue_ros.models.lightglue import LightGlue
from lightglue_ros.models.matching import FeatureMatcher
from lightglue_ros.models.official import official_module, official_weights

PAIRS = [
    ("image_pairs/sacre_coeur1.jpg", "image_pairs/sacre_coeur2.jpg"),
    ("tum_fr3_office_17/1341847980.722988.png", "tum_fr3_office_17/1341847981.726650.png"),
    ("scannet_pairs/scene0711_00_frame-001680.jpg", "scannet_pairs/scene0711_00_frame-001995.jpg"),
]
ADAPTIVITY = {"adaptive": (0.95, 0.99), "full": (-1, -1)}


def load_rgb(path, longer_side=512):
    image = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    scale = longer_side / max(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module", params=["aliked", "disk"])
def features(request, data_dir):
    """Per feature type: the matcher (ours) and the features of each real pair."""
    torch.manual_seed(0)
    matcher = FeatureMatcher(request.param, max_keypoints=768, resize=None, device="cpu")
    pairs = []
    for name0, name1 in PAIRS:
        for name in (name0, name1):
            assert (data_dir / name).exists(), name
        pairs.append([matcher.extract(load_rgb(data_dir / name)) for name in (name0, name1)])
    return request.param, matcher, pairs


def official_input(features0, features1):
    return {f"image{i}": {"keypoints": f.keypoints[None], "descriptors": f.descriptors[None],
                          "image_size": torch.tensor([f.image_size])} for i, f in enumerate((features0, features1))}


@pytest.mark.parametrize("mode", ADAPTIVITY)
def test_same_matches_as_official(features, mode):
    name, matcher, pairs = features
    depth, width = ADAPTIVITY[mode]
    ours = LightGlue(name, {"depth_confidence": depth, "width_confidence": width},
                     weights=official_weights(f"{name}_lightglue"))
    reference = official_module("lightglue").LightGlue(name, depth_confidence=depth, width_confidence=width).eval()
    for features0, features1 in pairs:
        data = official_input(features0, features1)
        with torch.inference_mode():
            expected, got = reference(data), ours(data)
        assert len(expected["matches"][0]) >= 40, "the pair should have plenty of matches"
        assert got["stop"] == expected["stop"]
        if mode == "full":
            assert got["stop"] == 9
        assert torch.equal(got["prune0"].long(), expected["prune0"].long())
        assert torch.equal(got["prune1"].long(), expected["prune1"].long())
        identical = (got["matches0"] == expected["matches0"]).float().mean().item()
        assert identical >= 0.99, f"{name} {mode}: only {identical:.2%} identical assignments"
        assert torch.allclose(got["matching_scores0"], expected["matching_scores0"], atol=1e-4)
        assert torch.allclose(got["matching_scores1"], expected["matching_scores1"], atol=1e-4)


def test_adaptivity_saves_work(features):
    """On an easy pair (consecutive TUM frames) adaptive depth stops early and pruning drops points."""
    _, matcher, pairs = features
    encoded = [matcher.encode(f) for f in pairs[1]]
    result = matcher.match(*encoded)
    assert result.stop_layer < result.num_layers
    assert sum(result.pruned) > 0
    assert len(result.matches) > 100


def test_cached_keyframe_encoding_matches_like_forward(features):
    """Encoding the keyframe once and reusing it against many frames gives exactly what a fresh forward gives."""
    _, matcher, pairs = features
    keyframe = matcher.encode(pairs[1][0])
    for frame in (pairs[1][1], pairs[0][1], pairs[1][1]):
        cached = matcher.match(keyframe, matcher.encode(frame))
        with torch.inference_mode():
            fresh = matcher.lightglue(official_input(pairs[1][0], frame))
        np.testing.assert_array_equal(cached.matches, fresh["matches"][0].numpy())
        np.testing.assert_allclose(cached.scores, fresh["scores"][0].numpy(), atol=1e-6)
        assert cached.stop_layer == fresh["stop"]


def test_no_keypoints_gives_no_matches(features):
    _, matcher, pairs = features
    empty = type(pairs[0][0])(pairs[0][0].keypoints[:0], pairs[0][0].scores[:0], pairs[0][0].descriptors[:0],
                              pairs[0][0].image_size)
    result = matcher.match(matcher.encode(pairs[0][1]), matcher.encode(empty))
    assert result.matches.shape == (0, 2)


def test_wrong_descriptor_size_is_a_clear_error(features):
    name, matcher, pairs = features
    f = pairs[0][0]
    with pytest.raises(ValueError, match="128-d descriptors"):
        matcher.lightglue.encode(f.keypoints[None], torch.zeros(1, len(f), 64), f.image_size)


def test_checkpoint_that_does_not_fit_is_a_clear_error(tmp_path):
    state = torch.load(official_weights("aliked_lightglue"), map_location="cpu", weights_only=True)
    del state["log_assignment.3.final_proj.weight"]
    state["input_proj.weight"] = state["input_proj.weight"][:, :64]
    path = tmp_path / "broken.pth"
    torch.save(state, path)
    with pytest.raises(ValueError) as error:
        LightGlue("aliked", weights=path)
    message = str(error.value)
    assert "log_assignment.3.final_proj.weight" in message and "missing" in message
    assert "input_proj.weight" in message and "misshapen" in message
