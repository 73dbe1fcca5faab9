# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""DISK: Learning local features with policy gradient (Tyszkiewicz, Fua, Trulls; NeurIPS 2020).

The network (a U-Net giving a 128-d descriptor map and a detection heatmap) and its keypoint selection come from
kornia's maintained port, `kornia.feature.DISK`. This module loads the official checkpoint (`depth-save.pth`, the
depth-supervised model LightGlue's disk variant was trained on) through our weights resolver, so it works offline,
and adapts the model to the extractor interface shared with SuperPoint and ALIKED.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import torch
from kornia.feature import DISK as KorniaDISK
from torch import nn

from .extractor import best_common_subset, check_image
from .weights import load_weights


class DISK(nn.Module):
    default_conf = {
        "max_num_keypoints": None,      # keep the n strongest NMS maxima (None or -1: all above the threshold)
        "detection_threshold": 0.0,     # heatmap value (a logit) a keypoint must exceed
        "nms_window_size": 5,           # side of the NMS window in pixels (odd)
        "pad_if_not_divisible": True,   # zero-pad to a multiple of 16 (the U-Net's stride) instead of failing
    }
    required_channels = 3  # RGB; a grayscale image is repeated to three channels
    descriptor_dim = 128

    def __init__(self, conf: Optional[dict] = None, weights: Union[str, Path, None, bool] = None):
        super().__init__()
        self.conf = conf = {**self.default_conf, **(conf or {})}
        unknown = sorted(set(conf) - set(self.default_conf))
        if unknown:
            raise ValueError(f"DISK: unknown configuration keys {unknown}, expected {sorted(self.default_conf)}")
        k = conf["max_num_keypoints"]
        if k is not None and (not isinstance(k, int) or (k <= 0 and k != -1)):
            raise ValueError(f"DISK: max_num_keypoints must be a positive int, -1 or None, got {k!r}")
        window = conf["nms_window_size"]
        if not isinstance(window, int) or window < 1 or window % 2 == 0:
            raise ValueError(f"DISK: nms_window_size must be an odd int >= 1, got {window!r}")
        self.model = KorniaDISK(desc_dim=self.descriptor_dim)
        load_weights(self.model, weights, "disk", adapt=extractor_state)
        self.eval()

    @torch.inference_mode()
    def forward(self, data: dict) -> dict:
        """Detect and describe: keypoints (B x N x 2, x y pixels), keypoint_scores (B x N), descriptors.

        Input {"image": B x 3 x H x W RGB in [0, 1] (or B x 1 x H x W)}; descriptors are B x N x 128, unit norm.
        A batch's images all get the same N, the smallest count: where counts differ, each image keeps its N
        best-scoring keypoints (in their original order).
        """
        image = check_image(data, "DISK")
        if not self.conf["pad_if_not_divisible"] and (image.shape[-1] % 16 or image.shape[-2] % 16):
            raise ValueError(f"DISK: image size {tuple(image.shape[-2:])} is not a multiple of 16; "
                             "set pad_if_not_divisible")
        if image.shape[1] == 1:
            image = image.expand(-1, 3, -1, -1)
        limit = self.conf["max_num_keypoints"]
        features = self.model(image, n=None if limit == -1 else limit, window_size=self.conf["nms_window_size"],
                              score_threshold=self.conf["detection_threshold"],
                              pad_if_not_divisible=self.conf["pad_if_not_divisible"])
        kept = best_common_subset([f.detection_scores for f in features])
        return {
            "keypoints": torch.stack([f.keypoints[i] for f, i in zip(features, kept)]).to(image.dtype),
            "keypoint_scores": torch.stack([f.detection_scores[i] for f, i in zip(features, kept)]).to(image.dtype),
            "descriptors": torch.stack([f.descriptors[i] for f, i in zip(features, kept)]).to(image.dtype),
        }


def extractor_state(state: dict) -> dict:
    """The official training code saves {"extractor": U-Net state dict}; kornia's module uses the same keys."""
    if not isinstance(state.get("extractor"), dict):
        raise ValueError("DISK: not an official DISK checkpoint (no 'extractor' state dict)")
    return state["extractor"]
