# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Our SuperPoint against an independent implementation: transformers' SuperPointForKeypointDetection.

The official SuperPoint weights cannot be fetched offline, so both models load one seeded random checkpoint in the
official key layout (conv1a.weight … convDb.bias), ours as is, transformers' after renaming the keys. The detector
head is scaled so that a few hundred keypoints pass the threshold on a real image, with scores spread over (0, 1).

Differences between the two implementations, and how the test aligns them:
- transformers returns keypoints relative to the image size; they are multiplied back by (W, H).
- transformers' `keypoint_threshold` / `max_keypoints` (-1: all) / `border_removal_distance` are our
  `detection_threshold` / `max_num_keypoints` (None: all) / `remove_borders`; the test sets both to the same values.
- transformers (5.x) removes the border only at the top and left: `_extract_keypoints` passes 8x the heatmap size
  (already full resolution) as the image size, so its bottom/right limits lie far outside the image. The official
  code (cvg/LightGlue, and ours) removes all four. Without top-k, the test drops transformers' keypoints within the
  border at the bottom/right, which is exactly the official result; with top-k those keypoints would have competed
  for the k places, so that case runs with border removal off in both.
- transformers pads a batch to the largest count with a mask; ours gives every image the smallest count (best
  scores, in their original order). The batch test compares ours batched with ours (and transformers) image by image.
- transformers takes the first channel of an RGB input; ours converts with BT.601 luma weights, so RGB is compared
  against kornia's rgb_to_grayscale (the official pipeline's conversion), not against transformers.
Both keep the same keypoint order (row-major scan, or descending score after top-k), so no sorting is needed.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from lightglue_ros.models.superpoint import SuperPoint

TUM = "tum_fr3_office_17"
SIZE = (320, 240)  # (W, H): small for CI speed
THRESHOLD = 0.005

# The official superpoint_v1.pth layout: name → (in channels, out channels, kernel size).
OFFICIAL_LAYERS = {
    "conv1a": (1, 64, 3), "conv1b": (64, 64, 3), "conv2a": (64, 64, 3), "conv2b": (64, 64, 3),
    "conv3a": (64, 128, 3), "conv3b": (128, 128, 3), "conv4a": (128, 128, 3), "conv4b": (128, 128, 3),
    "convPa": (128, 256, 3), "convPb": (256, 65, 1), "convDa": (128, 256, 3), "convDb": (256, 256, 1),
}
# Official name → transformers' module path.
HF_NAMES = {
    **{f"conv{i + 1}{ab}": f"encoder.conv_blocks.{i}.conv_{ab}" for i in range(4) for ab in "ab"},
    "convPa": "keypoint_decoder.conv_score_a", "convPb": "keypoint_decoder.conv_score_b",
    "convDa": "descriptor_decoder.conv_descriptor_a", "convDb": "descriptor_decoder.conv_descriptor_b",
}


def random_official_state(seed: int = 0) -> dict:
    """He-initialised convolutions with small random biases (so a wrongly mapped bias shows).

    The detector logits get a spread of a few units and the dustbin a large bias, so only a few hundred pixels beat the
    threshold.
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, (cin, cout, k) in OFFICIAL_LAYERS.items():
        std = (2.0 / (cin * k * k)) ** 0.5
        state[f"{name}.weight"] = torch.randn(cout, cin, k, k, generator=generator) * std
        state[f"{name}.bias"] = torch.randn(cout, generator=generator) * 0.05
    state["convPb.weight"] *= 2.5
    state["convPb.bias"][-1] = 12.0
    return state


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("superpoint") / "superpoint_v1_random.pth"
    torch.save(random_official_state(), path)
    return path


def read_rgb(data_dir, index: int) -> np.ndarray:
    paths = sorted((data_dir / TUM).glob("*.png"))
    image = cv2.cvtColor(cv2.imread(str(paths[index]), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA)


def gray_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))[None, None].float() / 255.0


@pytest.fixture(scope="module")
def images(data_dir):
    return [read_rgb(data_dir, 0), read_rgb(data_dir, 8)]


def hf_superpoint(checkpoint, max_keypoints: int | None, border: int = 4):
    from transformers import SuperPointConfig, SuperPointForKeypointDetection

    config = SuperPointConfig(keypoint_threshold=THRESHOLD, max_keypoints=max_keypoints or -1, nms_radius=4,
                              border_removal_distance=border)
    model = SuperPointForKeypointDetection(config).eval()
    state = torch.load(checkpoint, weights_only=True)
    renamed = {}
    for key, value in state.items():
        layer, param = key.split(".")
        renamed[f"{HF_NAMES[layer]}.{param}"] = value
    model.load_state_dict(renamed, strict=True)
    return model


def run_hf(model, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The transformers output for one image, keypoints back in pixels, its border removal completed (see above)."""
    with torch.inference_mode():
        out = model(image)
    height, width = image.shape[-2:]
    keypoints = out.keypoints[0] * torch.tensor([width, height])
    border = model.config.border_removal_distance
    valid = out.mask[0].bool() & (keypoints[:, 0] < width - border) & (keypoints[:, 1] < height - border)
    return keypoints[valid], out.scores[0][valid], out.descriptors[0][valid]


def ours(checkpoint, max_keypoints: int | None, border: int = 4) -> SuperPoint:
    return SuperPoint({"detection_threshold": THRESHOLD, "max_num_keypoints": max_keypoints, "nms_radius": 4,
                       "remove_borders": border}, weights=checkpoint)


@pytest.mark.parametrize("max_keypoints, border", [(None, 4), (None, 0), (256, 0)])
def test_matches_transformers(checkpoint, images, max_keypoints, border):
    image = gray_tensor(images[0])
    out = ours(checkpoint, max_keypoints, border)({"image": image})
    ref_keypoints, ref_scores, ref_descriptors = run_hf(hf_superpoint(checkpoint, max_keypoints, border), image)

    keypoints, scores, descriptors = out["keypoints"][0], out["keypoint_scores"][0], out["descriptors"][0]
    n = len(ref_keypoints)
    assert 200 <= n <= 2000, f"the random checkpoint should detect a few hundred keypoints, got {n}"
    if max_keypoints:
        assert n == max_keypoints
    assert keypoints.shape == (n, 2) and scores.shape == (n,) and descriptors.shape == (n, 256)
    assert torch.equal(keypoints, keypoints.round())  # pixel centres
    kp_diff = (keypoints - ref_keypoints).abs().max().item()
    score_diff = (scores - ref_scores).abs().max().item()
    desc_diff = (descriptors - ref_descriptors).abs().max().item()
    print(f"max_keypoints={max_keypoints} border={border}: n={n} max |Δkeypoint|={kp_diff:.2e} px "
          f"|Δscore|={score_diff:.2e} |Δdescriptor|={desc_diff:.2e}")
    assert kp_diff < 1e-4
    assert score_diff < 1e-5
    assert desc_diff < 1e-5
    # Non-trivial outputs: spread scores inside the image, unit descriptors that differ between keypoints.
    assert scores.min() > THRESHOLD and scores.max() - scores.min() > 0.1
    assert (keypoints >= border).all()
    assert (keypoints[:, 0] < SIZE[0] - border).all() and (keypoints[:, 1] < SIZE[1] - border).all()
    assert torch.allclose(descriptors.norm(dim=1), torch.ones(n), atol=1e-5)
    assert (descriptors @ descriptors.T).min() < 0.9  # random heads give similar, but not equal, descriptors
    if max_keypoints:
        assert (scores[:-1] >= scores[1:]).all()  # best first


def test_batch_of_two(checkpoint, images):
    gray = [gray_tensor(rgb) for rgb in images]
    batch = torch.cat(gray)

    # With top-k both images keep exactly k keypoints: the batch equals the single-image runs and transformers.
    model, hf = ours(checkpoint, 256, border=0), hf_superpoint(checkpoint, 256, border=0)
    out = model({"image": batch})
    assert out["keypoints"].shape == (2, 256, 2) and out["descriptors"].shape == (2, 256, 256)
    for i, image in enumerate(gray):
        single = model({"image": image})
        for key in ("keypoints", "keypoint_scores", "descriptors"):
            assert torch.allclose(out[key][i], single[key][0], atol=1e-6), key
        ref_keypoints, ref_scores, ref_descriptors = run_hf(hf, image)
        assert (out["keypoints"][i] - ref_keypoints).abs().max() < 1e-4
        assert (out["keypoint_scores"][i] - ref_scores).abs().max() < 1e-5
        assert (out["descriptors"][i] - ref_descriptors).abs().max() < 1e-5

    # Without top-k the counts differ: every image keeps the smallest count, its best-scoring keypoints, in order.
    model = ours(checkpoint, None)
    out = model({"image": batch})
    singles = [model({"image": image}) for image in gray]
    counts = [s["keypoints"].shape[1] for s in singles]
    assert counts[0] != counts[1], "pick two images with different keypoint counts"
    assert out["keypoints"].shape == (2, min(counts), 2)
    for i, single in enumerate(singles):
        best = single["keypoint_scores"][0].topk(min(counts)).indices.sort().values
        for key in ("keypoints", "keypoint_scores", "descriptors"):
            assert torch.allclose(out[key][i], single[key][0][best], atol=1e-6), key


def test_rgb_input_is_converted_to_luma(checkpoint, images):
    from kornia.color import rgb_to_grayscale

    rgb = torch.from_numpy(images[0]).permute(2, 0, 1)[None].float() / 255.0
    model = ours(checkpoint, 256)
    from_rgb = model({"image": rgb})
    from_gray = model({"image": rgb_to_grayscale(rgb)})
    for key in ("keypoints", "keypoint_scores", "descriptors"):
        assert (from_rgb[key] - from_gray[key]).abs().max() < 1e-5, key
    # The colour channels differ, so taking one channel would not give the same result.
    red_only = model({"image": rgb[:, :1]})
    assert not torch.equal(red_only["keypoints"], from_rgb["keypoints"])


@pytest.mark.parametrize("corrupt, message", [
    (lambda state: state.pop("convDb.bias"), r"missing.*convDb\.bias"),
    (lambda state: state.update({"convPb.weight": torch.zeros(64, 256, 1, 1)}), r"misshapen.*convPb\.weight"),
    (lambda state: state.update({"conv5a.weight": torch.zeros(1)}), r"unexpected.*conv5a\.weight"),
])
def test_bad_checkpoint_names_the_keys(tmp_path, corrupt, message):
    state = random_official_state()
    corrupt(state)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(ValueError, match=message):
        SuperPoint(weights=path)


def test_bad_input_and_configuration(checkpoint):
    model = ours(checkpoint, None)
    with pytest.raises(ValueError, match="image"):
        model({"image": torch.rand(240, 320)})
    with pytest.raises(ValueError, match="image"):
        model({"image": torch.rand(1, 2, 240, 320)})
    with pytest.raises(ValueError, match="smaller"):
        model({"image": torch.rand(1, 1, 4, 320)})
    with pytest.raises(ValueError, match="max_num_keypoints"):
        SuperPoint({"max_num_keypoints": 0}, weights=False)
    with pytest.raises(ValueError, match="unknown configuration"):
        SuperPoint({"keypoint_threshold": 0.1}, weights=False)


def test_no_detections_gives_empty_outputs(checkpoint, images):
    model = SuperPoint({"detection_threshold": 1.0}, weights=checkpoint)
    out = model({"image": gray_tensor(images[0])})
    assert out["keypoints"].shape == (1, 0, 2)
    assert out["keypoint_scores"].shape == (1, 0)
    assert out["descriptors"].shape == (1, 0, 256)
