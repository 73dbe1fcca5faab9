# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""SuperPoint: Self-Supervised Interest Point Detection and Description (DeTone, Malisiewicz, Rabinovich, CVPRW 2018).

Our implementation of the official architecture and inference; the official `superpoint_v1.pth` (Magic Leap, also
released by cvg/LightGlue) loads as it is, key for key (conv1a.weight … convDb.bias).

    image (B x 1 x H x W) → VGG encoder (3 poolings: 1/8 resolution, 128 channels)
        → detector head: 65 logits per 8x8 cell (64 pixels + a "no keypoint" dustbin), softmax, dustbin dropped,
          cells unfolded to a full-resolution heatmap → NMS → border removal → threshold → top-k
        → descriptor head: 256-d per cell, L2-normalised, sampled bilinearly at the keypoints, L2-normalised again

The weights are licensed for non-commercial use only (see the README); ALIKED is the commercial-friendly choice.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from .extractor import best_common_subset, check_image
from .weights import load_weights

CELL = 8  # pixels per side of a detector/descriptor cell: the encoder pools three times by 2

# ITU-R BT.601 luma, the weights of the official pipeline's RGB → gray conversion (kornia, OpenCV).
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def separable_max_pool(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Max-pooling (window 2r+1, stride 1, padding r) of B x H x W by running maxima over shifted slices.

    Equal to max_pool2d and an order of magnitude faster on a CPU at full resolution.
    """
    h, w = x.shape[-2:]
    padded = F.pad(x, (radius, radius), value=float("-inf"))
    rows = padded[..., :w]
    for i in range(1, 2 * radius + 1):
        rows = torch.maximum(rows, padded[..., i:i + w])
    padded = F.pad(rows, (0, 0, radius, radius), value=float("-inf"))
    out = padded[..., :h, :]
    for i in range(1, 2 * radius + 1):
        out = torch.maximum(out, padded[..., i:i + h, :])
    return out


def non_maximum_suppression(scores: torch.Tensor, radius: int, max_pool=separable_max_pool) -> torch.Tensor:
    """Zero every score that is not the maximum within `radius` pixels (B x H x W), with max-pooling.

    Like the official code: local maxima are kept, their neighbourhoods suppressed, and two more rounds recover
    maxima that only a suppressed (hence now absent) neighbour had hidden. `max_pool(x, radius)`: the pooling (the
    onnxruntime backend's exports as one MaxPool).
    """
    zeros = torch.zeros_like(scores)
    is_max = scores == max_pool(scores, radius)
    for _ in range(2):
        suppressed = max_pool(is_max.float(), radius) > 0
        remaining = torch.where(suppressed, zeros, scores)
        is_max = is_max | ((remaining == max_pool(remaining, radius)) & ~suppressed)
    return torch.where(is_max, scores, zeros)


def sample_descriptors(keypoints: torch.Tensor, descriptors: torch.Tensor, cell: int = CELL) -> torch.Tensor:
    """Bilinear descriptors at keypoints (B x N x 2 pixels) from a B x D x h x w cell map → B x N x D, unit norm.

    The official convention: a cell's descriptor sits at pixel (cell/2 - 0.5) of its cell, and the first and last
    cell centres map to -1 and 1 (grid_sample with align_corners=True).
    """
    b, d, h, w = descriptors.shape
    last_centre = torch.tensor([w * cell - cell / 2 - 0.5, h * cell - cell / 2 - 0.5], device=keypoints.device)
    grid = (keypoints - cell / 2 + 0.5) / last_centre * 2 - 1
    sampled = F.grid_sample(descriptors, grid.to(descriptors.dtype)[:, None], mode="bilinear", align_corners=True)
    return F.normalize(sampled[:, :, 0], p=2, dim=1).transpose(1, 2)


def to_grayscale(image: torch.Tensor) -> torch.Tensor:
    """B x 3 x H x W RGB → B x 1 x H x W luma; a B x 1 x H x W image is returned as is."""
    if image.shape[1] == 1:
        return image
    r, g, b = image.unbind(1)
    return (LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b)[:, None]


class SuperPoint(nn.Module):
    default_conf = {
        "descriptor_dim": 256,          # descriptor head output channels (256 in the official weights)
        "nms_radius": 4,                # keep keypoints that are the maximum within this many pixels (0: no NMS)
        "max_num_keypoints": None,      # keep the k best-scoring keypoints per image (None: all above threshold)
        "detection_threshold": 0.0005,  # minimum heatmap probability of a keypoint (strictly greater)
        "remove_borders": 4,            # drop keypoints closer than this many pixels to the image border (0: none)
    }
    required_channels = 1  # grayscale; RGB input is converted with BT.601 luma weights

    def __init__(self, conf: Optional[dict] = None, weights: Union[str, Path, None, bool] = None):
        super().__init__()
        self.conf = conf = {**self.default_conf, **(conf or {})}
        unknown = sorted(set(conf) - set(self.default_conf))
        if unknown:
            raise ValueError(f"SuperPoint: unknown configuration keys {unknown}, expected {sorted(self.default_conf)}")
        k = conf["max_num_keypoints"]
        if k is not None and (not isinstance(k, int) or k <= 0):
            raise ValueError(f"SuperPoint: max_num_keypoints must be a positive int or None, got {k!r}")
        for key in ("nms_radius", "remove_borders"):
            if not isinstance(conf[key], int) or conf[key] < 0:
                raise ValueError(f"SuperPoint: {key} must be an int >= 0, got {conf[key]!r}")

        # VGG-style encoder; the attribute names are the official checkpoint's keys.
        c1, c2, c3, c4, c5 = 64, 64, 128, 128, 256
        self.conv1a, self.conv1b = conv3x3(1, c1), conv3x3(c1, c1)
        self.conv2a, self.conv2b = conv3x3(c1, c2), conv3x3(c2, c2)
        self.conv3a, self.conv3b = conv3x3(c2, c3), conv3x3(c3, c3)
        self.conv4a, self.conv4b = conv3x3(c3, c4), conv3x3(c4, c4)
        # Detector head: 64 pixel classes of a cell + 1 dustbin ("no keypoint in this cell").
        self.convPa, self.convPb = conv3x3(c4, c5), nn.Conv2d(c5, CELL * CELL + 1, kernel_size=1)
        # Descriptor head.
        self.convDa, self.convDb = conv3x3(c4, c5), nn.Conv2d(c5, conf["descriptor_dim"], kernel_size=1)

        load_weights(self, weights, "superpoint")
        self.eval()

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """B x 1 x H x W → B x 128 x H/8 x W/8 shared features."""
        x = image
        for a, b, pool in ((self.conv1a, self.conv1b, True), (self.conv2a, self.conv2b, True),
                           (self.conv3a, self.conv3b, True), (self.conv4a, self.conv4b, False)):
            x = F.relu(b(F.relu(a(x))))
            if pool:
                x = F.max_pool2d(x, kernel_size=2, stride=2)
        return x

    def heatmap(self, features: torch.Tensor) -> torch.Tensor:
        """Keypoint probability per pixel, B x 8h x 8w: softmax over a cell's 65 classes, dustbin dropped."""
        logits = self.convPb(F.relu(self.convPa(features)))
        probs = logits.softmax(1)[:, :-1]
        b, _, h, w = probs.shape
        # Channel c of cell (i, j) is pixel (8i + c // 8, 8j + c % 8).
        return probs.reshape(b, CELL, CELL, h, w).permute(0, 3, 1, 4, 2).reshape(b, h * CELL, w * CELL)

    def dense_descriptors(self, features: torch.Tensor) -> torch.Tensor:
        """B x D x h x w unit descriptors, one per cell."""
        return F.normalize(self.convDb(F.relu(self.convDa(features))), p=2, dim=1)

    def detect(self, heatmap: torch.Tensor) -> tuple[list, list]:
        """Per image: keypoints (N x 2, x y pixels) and scores (N): NMS, borders, threshold, top-k."""
        conf = self.conf
        scores = non_maximum_suppression(heatmap, conf["nms_radius"]) if conf["nms_radius"] > 0 else heatmap
        candidates = scores > conf["detection_threshold"]
        border = conf["remove_borders"]
        if border:
            inside = torch.zeros_like(candidates)
            inside[:, border:-border, border:-border] = True
            candidates &= inside
        keypoints, keypoint_scores = [], []
        for image_scores, image_candidates in zip(scores, candidates):
            yx = image_candidates.nonzero()  # row-major order, like the official code
            s = image_scores[yx[:, 0], yx[:, 1]]
            k = conf["max_num_keypoints"]
            if k is not None and k < len(s):
                s, best = s.topk(k)
                yx = yx[best]
            keypoints.append(yx.flip(1).float())
            keypoint_scores.append(s)
        return keypoints, keypoint_scores

    @torch.inference_mode()
    def forward(self, data: dict) -> dict:
        """Keypoints, their scores and descriptors of a batch of images.

        {"image": B x C x H x W in [0, 1], C = 1 or 3 (RGB)} → keypoints (B x N x 2, x y pixels),
        keypoint_scores (B x N), descriptors (B x N x D).

        A batch's images all get the same N, the smallest count: where counts differ, each image keeps its N
        best-scoring keypoints (in their original order), so no image carries padding that would look like features.
        """
        image = check_image(data, "SuperPoint", min_size=CELL)
        features = self.encode(to_grayscale(image))
        keypoints, scores = self.detect(self.heatmap(features))
        kept = best_common_subset(scores)
        keypoints = torch.stack([k[i] for k, i in zip(keypoints, kept)])
        scores = torch.stack([s[i] for s, i in zip(scores, kept)])
        n = scores.shape[1]
        dense = self.dense_descriptors(features)
        if n == 0:
            descriptors = dense.new_zeros(len(image), 0, dense.shape[1])
        else:
            descriptors = sample_descriptors(keypoints, dense)
        return {"keypoints": keypoints, "keypoint_scores": scores, "descriptors": descriptors}


def conv3x3(in_channels: int, out_channels: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1)
