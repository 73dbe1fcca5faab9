# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What the keypoint extractors (SuperPoint, ALIKED, DISK) share: input checks and same-size batches."""
from __future__ import annotations

import torch


def check_image(data, model: str, min_size: int = 16) -> torch.Tensor:
    """The `image` of an extractor's input dict: float B x C x H x W in [0, 1], C = 1 (gray) or 3 (RGB)."""
    image = data.get("image") if isinstance(data, dict) else None
    if not isinstance(image, torch.Tensor):
        raise ValueError(f"{model}: expected data = {{'image': tensor B x C x H x W}}")
    if image.ndim != 4 or image.shape[1] not in (1, 3) or not image.is_floating_point():
        raise ValueError(f"{model}: expected a float B x C x H x W image in [0, 1] with C = 1 (gray) or 3 (RGB), "
                         f"got {image.dtype} {tuple(image.shape)}")
    if image.shape[0] == 0 or min(image.shape[-2:]) < min_size:
        raise ValueError(f"{model}: image batch {tuple(image.shape)} is empty or smaller than "
                         f"{min_size}x{min_size} pixels")
    return image


def best_common_subset(scores: list) -> list:
    """Indices that give a batch's images the same number of keypoints, the smallest count.

    Each image keeps its best-scoring ones, in their original order (no padding that would look like features).
    """
    n = min(len(s) for s in scores)
    return [s.topk(n).indices.sort().values for s in scores]
