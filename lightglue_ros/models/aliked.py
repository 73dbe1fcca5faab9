# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""ALIKED: A Lighter Keypoint and Descriptor Extraction Network via Deformable Transformation.

Zhao, Wu, Chen, Chen, Xu, Li; IEEE TIM 2023.

Our implementation of the official architecture and inference, in plain PyTorch: the deformable convolution is
written here with grid_sample (no torchvision). The official checkpoints (aliked-t16, aliked-n16, aliked-n16rot,
aliked-n32; BSD-3 licence, fine for commercial use) load as they are, key for key.

    image (B x 3 x H x W, padded to a multiple of 32)
        → encoder: block1 (conv) | /2 block2 (residual conv) | /4 block3 (residual DCN) | /4 block4 (residual DCN)
        → aggregation: each scale to dim/4 channels (1x1 conv), upsampled to full resolution, concatenated
        → score map (small conv head, sigmoid) and dense feature map (L2-normalised)
        → detection: NMS, border removal, threshold or top-k, soft-argmax refinement in the NMS window
        → SDDH descriptors: per keypoint, M sampling positions predicted from a K x K patch, features sampled there,
          projected and summed with per-position weights, L2-normalised

The full-resolution aggregated map (dim channels) is never built: the score head's first layer is a 1x1
convolution, which commutes with bilinear upsampling, so each scale is projected to its 8 channels at its own
resolution first; the descriptor head only reads the unit feature map at a few pixels per keypoint, which
`FeatureMap` computes from the four scales there. Same numbers as the dense formulation (to float rounding), a
fraction of the time and memory on a CPU.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair

from .extractor import best_common_subset, check_image
from .superpoint import non_maximum_suppression
from .weights import load_weights

# Channels of block1..block4, descriptor dimension, SDDH patch size K and number of sampling positions M.
CONFIGS = {
    "aliked-t16": {"channels": (8, 16, 32, 64), "dim": 64, "patch_size": 3, "num_positions": 16},
    "aliked-n16": {"channels": (16, 32, 64, 128), "dim": 128, "patch_size": 3, "num_positions": 16},
    "aliked-n16rot": {"channels": (16, 32, 64, 128), "dim": 128, "patch_size": 3, "num_positions": 16},
    "aliked-n32": {"channels": (16, 32, 64, 128), "dim": 128, "patch_size": 3, "num_positions": 32},
}
PAD_TO = 32            # the encoder downsamples 32x in total
MAX_KEYPOINTS = 20000  # cap when no max_num_keypoints is given (official n_limit)
SOFTMAX_TEMPERATURE = 0.1  # of the soft-argmax refinement (official value)
NORM_EPS = 1e-12           # F.normalize's, as the official unit feature map


def deform_conv2d(x: torch.Tensor, offset: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,
                  stride=1, padding=0, dilation=1, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Modulated deformable convolution (DCNv2), numerically like torchvision.ops.deform_conv2d, one group.

    x: B x C x H x W; weight: O x C x kh x kw; offset: B x 2*kh*kw x Ho x Wo, (dy, dx) per kernel tap, taps in
    row-major order; mask: None or B x kh*kw x Ho x Wo. Each tap reads x bilinearly at its regular position plus its
    offset; pixels outside the image read as zero.
    """
    b, c, h, w = x.shape
    out_channels, in_channels, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    taps = kh * kw
    ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if in_channels != c or offset.shape != (b, 2 * taps, ho, wo):
        raise ValueError(f"deform_conv2d: input {tuple(x.shape)}, weight {tuple(weight.shape)} and offset "
                         f"{tuple(offset.shape)} do not fit (expected offset {(b, 2 * taps, ho, wo)})")
    if mask is not None and mask.shape != (b, taps, ho, wo):
        raise ValueError(f"deform_conv2d: mask {tuple(mask.shape)}, expected {(b, taps, ho, wo)}")

    arange = lambda n, step: torch.arange(n, device=x.device, dtype=x.dtype) * step  # noqa: E731
    tap_y, tap_x = torch.meshgrid(arange(kh, dh), arange(kw, dw), indexing="ij")
    offset = offset.view(b, taps, 2, ho, wo)
    sample_y = (arange(ho, sh) - ph).view(1, 1, ho, 1) + tap_y.reshape(1, taps, 1, 1) + offset[:, :, 0]
    sample_x = (arange(wo, sw) - pw).view(1, 1, 1, wo) + tap_x.reshape(1, taps, 1, 1) + offset[:, :, 1]
    # grid_sample's zero padding weighs out-of-image corners by zero, as torchvision does. Normalising with
    # align_corners=False needs no division by (size - 1), so 1-pixel-wide maps work too.
    grid = torch.stack(((2 * sample_x + 1) / w - 1, (2 * sample_y + 1) / h - 1), dim=-1)
    sampled = F.grid_sample(x, grid.view(b, taps * ho, wo, 2), mode="bilinear", padding_mode="zeros",
                            align_corners=False).view(b, c, taps, ho, wo)
    if mask is not None:
        sampled = sampled * mask[:, None]
    out = weight.reshape(out_channels, c * taps) @ sampled.view(b, c * taps, ho * wo)
    if bias is not None:
        out = out + bias[:, None]
    return out.view(b, out_channels, ho, wo)


class DeformableConv2d(nn.Module):
    """3x3 deformable convolution whose offsets come from a regular 3x3 convolution of the same input.

    ALIKED's checkpoints use no modulation mask. Offsets are clamped to a quarter of the map size, as trained.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__()
        self.padding = kernel_size // 2
        self.offset_conv = nn.Conv2d(in_channels, 2 * kernel_size ** 2, kernel_size, padding=self.padding, bias=True)
        self.regular_conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=self.padding, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        max_offset = max(x.shape[-2:]) / 4.0
        offset = self.offset_conv(x).clamp(-max_offset, max_offset)
        return deform_conv2d(x, offset, self.regular_conv.weight, self.regular_conv.bias, padding=self.padding)


class ConvBlock(nn.Module):
    """Two 3x3 convolutions (regular or deformable) with batch norm and SELU.

    With `residual`, a 1x1 convolution of the input is added before the last activation (the official ResBlock).
    """

    def __init__(self, in_channels: int, out_channels: int, deformable: bool = False, residual: bool = False):
        super().__init__()
        conv = DeformableConv2d if deformable else (lambda i, o: nn.Conv2d(i, o, 3, padding=1, bias=False))
        self.conv1, self.bn1 = conv(in_channels, out_channels), nn.BatchNorm2d(out_channels)
        self.conv2, self.bn2 = conv(out_channels, out_channels), nn.BatchNorm2d(out_channels)
        self.downsample = nn.Conv2d(in_channels, out_channels, 1) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(F.selu(self.bn1(self.conv1(x)))))
        if self.downsample is not None:
            y = y + self.downsample(x)
        return F.selu(y)


class SDDH(nn.Module):
    """Sparse Deformable Descriptor Head: a descriptor per keypoint from M learnt sampling positions around it."""

    def __init__(self, dim: int, patch_size: int, num_positions: int):
        super().__init__()
        self.patch_size, self.num_positions = patch_size, num_positions
        # Offsets (x for the M positions, then y) from the K x K feature patch at the keypoint.
        self.offset_conv = nn.Sequential(
            nn.Conv2d(dim, 2 * num_positions, patch_size, bias=True), nn.SELU(),
            nn.Conv2d(2 * num_positions, 2 * num_positions, 1, bias=True))
        self.sf_conv = nn.Conv2d(dim, dim, 1, bias=False)  # projects each sampled feature
        self.agg_weights = nn.Parameter(torch.rand(num_positions, dim, dim))  # one dim x dim map per position

    def forward(self, features: "FeatureMap", keypoints: torch.Tensor) -> torch.Tensor:
        """One image's feature map, N x 2 keypoints (x, y pixels) → N x C unit descriptors."""
        h, w = features.size
        n, k = len(keypoints), self.patch_size
        # K x K patch around the pixel containing each keypoint, moved inside the map and, as in the official
        # code, never touching its last row/column.
        corner = torch.minimum((keypoints.long() - k // 2).clamp(min=0),
                               torch.tensor([w - 1 - k, h - 1 - k], device=keypoints.device))
        steps = torch.arange(k, device=keypoints.device)
        rows = (corner[:, 1, None] + steps)[:, :, None].expand(n, k, k)
        cols = (corner[:, 0, None] + steps)[:, None, :].expand(n, k, k)
        patches = features.at(cols.reshape(-1), rows.reshape(-1)).view(-1, n, k, k).transpose(0, 1)
        max_offset = max(h, w) / 4.0
        offsets = self.offset_conv(patches).clamp(-max_offset, max_offset)
        offsets = offsets.view(n, 2, self.num_positions).transpose(1, 2)  # N x M x (dx, dy)
        sampled = features.bilinear((keypoints[:, None] + offsets).reshape(-1, 2))  # C x N*M
        projected = F.selu(self.sf_conv.weight[:, :, 0, 0] @ sampled)
        # Sum over positions of each position's C x C map: one matrix product over (position, channel).
        projected = projected.view(len(projected), n, -1).permute(1, 2, 0).reshape(n, -1)
        descriptors = projected @ self.agg_weights.reshape(-1, self.agg_weights.shape[-1])
        return F.normalize(descriptors, p=2, dim=1)


class FeatureMap:
    """The unit feature map of one image, evaluated only at the pixels asked for.

    The map is the L2-normalised concatenation of the four aggregation scales, upsampled to full resolution.
    Features come channels first (C x N): every step then reads and writes whole rows, and the normalisation of
    the corners of a bilinear sample folds into its weights (no C x 4N temporary is divided or concatenated).
    """

    def __init__(self, levels: list, offset: tuple, size: tuple):
        self.levels = levels        # C_i x h_i x w_i, the first at full (padded) resolution
        self.offset = offset        # (left, top) padding
        self.size = size            # (h, w) of the image
        self.first = levels[0].reshape(len(levels[0]), -1)

    def scales_at(self, x: torch.Tensor, y: torch.Tensor) -> tuple:
        """The four scales (each C_i x N) at integer pixels (x, y: N, inside the image) and 1 / their joint norm."""
        hp, wp = self.levels[0].shape[-2:]
        x, y = x + self.offset[0], y + self.offset[1]
        # Bilinear upsampling with align_corners=True reads a coarse map at x * (w_i - 1) / (W - 1): grid_sample
        # with align_corners=True at the same normalised coordinate.
        grid = torch.stack((x * (2.0 / (wp - 1)) - 1, y * (2.0 / (hp - 1)) - 1), -1).to(self.first.dtype)[None, None]
        scales = [self.first.index_select(1, y * wp + x)] + [
            F.grid_sample(level[None], grid, mode="bilinear", align_corners=True)[0, :, 0] for level in self.levels[1:]]
        # F.normalize's x / max(|x|, eps).
        inverse_norm = sum((s * s).sum(0) for s in scales).sqrt_().clamp_(min=NORM_EPS).reciprocal_()
        return scales, inverse_norm

    def at(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Unit features (C x N) at integer pixels (x, y: N, inside the image)."""
        scales, inverse_norm = self.scales_at(x, y)
        return torch.cat(scales).mul_(inverse_norm)

    def bilinear(self, points: torch.Tensor) -> torch.Tensor:
        """Features (C x N) interpolated at sub-pixel points (N x 2, x y pixels); outside the image reads zero.

        As grid_sample of the unit map with align_corners=True and zero padding.
        """
        h, w = self.size
        n = len(points)
        base = points.floor()
        frac = points - base
        corners = torch.tensor([[0, 0], [1, 0], [0, 1], [1, 1]], device=points.device)[:, None]
        pixels = base.long() + corners  # 4 x N x 2, corner-major
        weights = torch.where(corners.bool(), frac, 1 - frac).prod(-1)  # 4 x N
        inside = (pixels[..., 0] >= 0) & (pixels[..., 0] < w) & (pixels[..., 1] >= 0) & (pixels[..., 1] < h)
        pixels = torch.minimum(pixels.clamp(min=0), torch.tensor([w - 1, h - 1], device=points.device))
        scales, inverse_norm = self.scales_at(pixels[..., 0].flatten(), pixels[..., 1].flatten())
        weights = (weights * inside).flatten().mul_(inverse_norm).view(4, n)
        sampled = []
        for scale in scales:
            scale = scale.view(-1, 4, n)
            total = scale[:, 0] * weights[0]
            for corner in range(1, 4):
                total.addcmul_(scale[:, corner], weights[corner])
            sampled.append(total)
        return torch.cat(sampled)


def select_keypoints(scores: torch.Tensor, radius: int, threshold: float, max_keypoints: Optional[int],
                     maxima: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Flat indices of the keypoints of one H x W score map: NMS maxima, not within `radius` of the border.

    `maxima`: the map after `non_maximum_suppression`, when it was computed already (the onnxruntime backend's
    graph does it).

    Of those, with
    - threshold > 0: score > threshold (if none, above the map's mean), the best `max_keypoints` if more,
      else in row-major order;
    - threshold <= 0 and max_keypoints: the `max_keypoints` best (top-k);
    - threshold <= 0, no max_keypoints: above the map's mean.
    """
    maxima = non_maximum_suppression(scores[None], radius)[0] if maxima is None else maxima.clone()
    maxima[:radius], maxima[:, :radius] = 0, 0
    maxima[-radius:], maxima[:, -radius:] = 0, 0
    maxima = maxima.flatten()
    if threshold <= 0 and max_keypoints:
        return maxima.topk(min(max_keypoints, len(maxima))).indices
    selected = (maxima > threshold).nonzero()[:, 0] if threshold > 0 else maxima.new_zeros(0, dtype=torch.long)
    if len(selected) == 0:
        selected = (maxima > scores.mean()).nonzero()[:, 0]
    limit = max_keypoints or MAX_KEYPOINTS
    if len(selected) > limit:
        selected = selected[maxima[selected].sort(descending=True).indices[:limit]]
    return selected


def refine_keypoints(scores: torch.Tensor, indices: torch.Tensor, radius: int) -> torch.Tensor:
    """Sub-pixel keypoints (N x 2, x y pixels): soft-argmax of the scores in the (2r+1)² window at each maximum.

    The window lies inside the map: keypoints are at least `radius` pixels from the border.
    """
    h, w = scores.shape
    y, x = indices // w, indices % w
    steps = torch.arange(-radius, radius + 1, device=scores.device)
    dy, dx = torch.meshgrid(steps, steps, indexing="ij")  # window taps in row-major order
    window = scores[y[:, None] + dy.flatten(), x[:, None] + dx.flatten()]  # N x (2r+1)²
    weights = ((window - window.max(dim=1, keepdim=True).values) / SOFTMAX_TEMPERATURE).exp()
    taps = torch.stack((dx.flatten(), dy.flatten()), dim=1).to(scores.dtype)
    residual = weights @ taps / weights.sum(dim=1, keepdim=True)
    return torch.stack((x, y), dim=1).to(scores.dtype) + residual


def sample_scores(scores: torch.Tensor, keypoints: torch.Tensor) -> torch.Tensor:
    """Bilinear score (N) of one H x W map at sub-pixel keypoints (N x 2, x y pixels)."""
    h, w = scores.shape
    grid = keypoints / torch.tensor([w - 1, h - 1], device=scores.device, dtype=scores.dtype) * 2 - 1
    return F.grid_sample(scores[None, None], grid[None, None], mode="bilinear", align_corners=True)[0, 0, 0]


class ALIKED(nn.Module):
    default_conf = {
        "model_name": "aliked-n16",     # one of CONFIGS; the weights of the same name are loaded
        "max_num_keypoints": -1,        # keep at most this many best-scoring keypoints (-1 or None: all, up to 20000)
        "detection_threshold": 0.2,     # minimum score of a keypoint; <= 0 with max_num_keypoints: plain top-k
        "nms_radius": 2,                # NMS, border and sub-pixel refinement window radius in pixels (trained: 2)
    }
    required_channels = 3  # RGB; a grayscale image is repeated to three channels

    def __init__(self, conf: Optional[dict] = None, weights: Union[str, Path, None, bool] = None):
        super().__init__()
        self.conf = conf = {**self.default_conf, **(conf or {})}
        unknown = sorted(set(conf) - set(self.default_conf))
        if unknown:
            raise ValueError(f"ALIKED: unknown configuration keys {unknown}, expected {sorted(self.default_conf)}")
        if conf["model_name"] not in CONFIGS:
            raise ValueError(f"ALIKED: unknown model_name {conf['model_name']!r}, expected one of {sorted(CONFIGS)}")
        k = conf["max_num_keypoints"]
        if k is not None and (not isinstance(k, int) or (k <= 0 and k != -1)):
            raise ValueError(f"ALIKED: max_num_keypoints must be a positive int, -1 or None, got {k!r}")
        if not isinstance(conf["nms_radius"], int) or conf["nms_radius"] < 1:
            raise ValueError(f"ALIKED: nms_radius must be an int >= 1, got {conf['nms_radius']!r}")

        cfg = CONFIGS[conf["model_name"]]
        c1, c2, c3, c4 = cfg["channels"]
        dim = cfg["dim"]
        # Attribute names are the official checkpoint's keys.
        self.block1 = ConvBlock(3, c1)
        self.block2 = ConvBlock(c1, c2, residual=True)
        self.block3 = ConvBlock(c2, c3, deformable=True, residual=True)
        self.block4 = ConvBlock(c3, c4, deformable=True, residual=True)
        self.conv1, self.conv2, self.conv3, self.conv4 = (
            nn.Conv2d(c, dim // 4, 1, bias=False) for c in (c1, c2, c3, c4))
        self.score_head = nn.Sequential(
            nn.Conv2d(dim, 8, 1, bias=False), nn.SELU(),
            nn.Conv2d(8, 4, 3, padding=1, bias=False), nn.SELU(),
            nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.SELU(),
            nn.Conv2d(4, 1, 3, padding=1, bias=False))
        self.desc_head = SDDH(dim, cfg["patch_size"], cfg["num_positions"])

        load_weights(self, weights, conf["model_name"])
        self.eval()

    def dense_maps(self, image: torch.Tensor) -> tuple:
        """The network's dense part: the onnxruntime backend runs this method as an exported graph.

        B x 3 x H x W → score map (B x H x W, in [0, 1]) and the four aggregation scales (B x dim/4 x h_i x w_i,
        after their 1x1 convolution and SELU, of the padded image; `padding` gives the offset), see `FeatureMap`.
        """
        h, w = image.shape[-2:]
        padding = padding_of(h, w)
        x1 = self.block1(F.pad(image, padding, mode="replicate"))
        x2 = self.block2(F.avg_pool2d(x1, 2))
        x3 = self.block3(F.avg_pool2d(x2, 4))
        x4 = self.block4(F.avg_pool2d(x3, 4))
        levels = [F.selu(conv(x)) for conv, x in zip((self.conv1, self.conv2, self.conv3, self.conv4),
                                                     (x1, x2, x3, x4))]
        # Score head layer 1 (1x1, no bias) per scale, then upsampled: upsampling 8 channels, not dim.
        first = self.score_head[0].weight.split(levels[0].shape[1], dim=1)
        size = x1.shape[-2:]
        projected = F.conv2d(levels[0], first[0]) + sum(
            F.interpolate(F.conv2d(level, weight), size=size, mode="bilinear", align_corners=True)
            for level, weight in zip(levels[1:], first[1:]))
        scores = torch.sigmoid(self.score_head[1:](projected))[:, 0]
        return (scores[:, padding[2]:padding[2] + h, padding[0]:padding[0] + w], *levels)

    @torch.inference_mode()
    def forward(self, data: dict) -> dict:
        """Keypoints, their scores and descriptors of a batch of images.

        {"image": B x 3 x H x W RGB in [0, 1] (or B x 1 x H x W)} → keypoints (B x N x 2, x y pixels),
        keypoint_scores (B x N), descriptors (B x N x dim, unit norm).

        A batch's images all get the same N, the smallest count: where counts differ, each image keeps its N
        best-scoring keypoints (in their original order).
        """
        image = check_image(data, "ALIKED")
        if image.shape[1] == 1:
            image = image.expand(-1, 3, -1, -1)
        score_maps, *levels = self.dense_maps(image)
        return self.sparse(score_maps, levels)

    def sparse(self, score_maps: torch.Tensor, levels: list, maxima: Optional[torch.Tensor] = None) -> dict:
        """Keypoints and descriptors from `dense_maps`' outputs (the part after the dense network).

        `maxima`: the score maps after non-maximum suppression, when computed already.
        """
        conf = self.conf
        radius, limit = conf["nms_radius"], conf["max_num_keypoints"]
        limit = None if limit == -1 else limit
        keypoints, scores = [], []
        for b, score_map in enumerate(score_maps):
            indices = select_keypoints(score_map, radius, conf["detection_threshold"], limit,
                                       None if maxima is None else maxima[b])
            keypoints.append(refine_keypoints(score_map, indices, radius))
            scores.append(sample_scores(score_map, keypoints[-1]))
        kept = best_common_subset(scores)
        keypoints = [k[i] for k, i in zip(keypoints, kept)]
        scores = [s[i] for s, i in zip(scores, kept)]
        h, w = score_maps.shape[-2:]
        offset = padding_of(h, w)[::2]
        dim = sum(level.shape[1] for level in levels)
        descriptors = [self.desc_head(FeatureMap([level[b] for level in levels], offset, (h, w)), k) if len(k)
                       else score_maps.new_zeros(0, dim) for b, k in enumerate(keypoints)]
        return {"keypoints": torch.stack(keypoints), "keypoint_scores": torch.stack(scores),
                "descriptors": torch.stack(descriptors)}


def padding_of(h: int, w: int) -> tuple:
    """(left, right, top, bottom) replicate padding to a multiple of PAD_TO, split as evenly as possible.

    The extra pixel goes to the bottom/right.
    """
    pad_h, pad_w = -h % PAD_TO, -w % PAD_TO
    return pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2
