# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""LightGlue: Local Feature Matching at Light Speed (Lindenberger, Sarlin, Pollefeys, ICCV 2023).

Our implementation of the official architecture and inference; the official `*_lightglue.pth` checkpoints load as
they are. Beyond the paper it splits the work into two steps for visual odometry:

    encoded = lightglue.encode(keypoints, descriptors, image_size)   # per image, once
    result = lightglue.match_encoded(encoded_keyframe, encoded_frame)

`encode` runs everything that does not depend on the other image: the input projection, the rotary positional
encoding, the first self-attention block and the first cross-attention block's query/key and value projections.
A keyframe is encoded once and matched against every following frame, so each match only pays for the rest.
`forward` takes the official input dict and returns the official output dict.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .weights import load_weights

# Descriptor size and checkpoint name of each supported feature type.
FEATURES = {
    "superpoint": {"input_dim": 256, "weights": "superpoint_lightglue"},
    "aliked": {"input_dim": 128, "weights": "aliked_lightglue"},
    "disk": {"input_dim": 128, "weights": "disk_lightglue"},
}

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def normalize_keypoints(keypoints: torch.Tensor, image_size: torch.Tensor) -> torch.Tensor:
    """Pixels → roughly [-1, 1]: centred on the image, divided by half its longer side (B x N x 2, size B x 2)."""
    image_size = image_size.to(torch.float32)
    shift = image_size / 2
    scale = image_size.max(-1).values / 2
    return (keypoints.float() - shift[:, None]) / scale[:, None, None]


def apply_rotary(rotary: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (i, i + D/2) of x by the keypoint's angles; rotary = (cos, sin), 2 x B x 1 x N x D.

    The official code pairs adjacent channels (2i, 2i + 1); our checkpoint loader reorders the query and key
    channels so that pairs are half a head apart, which makes the rotation two slices instead of a reshuffle.
    Attention only sees q·k, which is the same for any channel order applied to both.
    """
    x1, x2 = x.chunk(2, dim=-1)
    return x * rotary[0] + torch.cat([-x2, x1], -1) * rotary[1]


class LearnableFourierPositionalEncoding(nn.Module):
    """Keypoint position → per-channel-pair rotation angles (cos, sin), applied to queries and keys."""

    def __init__(self, position_dim: int, head_dim: int):
        super().__init__()
        self.Wr = nn.Linear(position_dim, head_dim // 2, bias=False)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        angles = self.Wr(positions)
        angles = torch.cat([angles, angles], -1)  # pair (i, i + D/2) shares angle i, see apply_rotary
        return torch.stack([torch.cos(angles), torch.sin(angles)], 0).unsqueeze(-3)


class TokenConfidence(nn.Module):
    """Per-point confidence that its assignment will not change in later layers (drives early stopping)."""

    def __init__(self, dim: int):
        super().__init__()
        self.token = nn.Sequential(nn.Linear(dim, 1), nn.Sigmoid())

    def forward(self, desc: torch.Tensor) -> torch.Tensor:
        return self.token(desc.detach()).squeeze(-1)


def feed_forward(dim: int) -> nn.Sequential:
    """The update MLP of both attention blocks, on [state, message]."""
    return nn.Sequential(nn.Linear(2 * dim, 2 * dim), nn.LayerNorm(2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))


class SelfBlock(nn.Module):
    """Self-attention within one image, positions entering through rotary encoding of queries and keys."""

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.Wqkv = nn.Linear(dim, 3 * dim)
        self.out_proj = nn.Linear(dim, dim)
        self.ffn = feed_forward(dim)

    def forward(self, desc: torch.Tensor, rotary: torch.Tensor) -> torch.Tensor:
        # Wqkv rows are laid out (qkv, head, channel) by the checkpoint loader (see reorder_qkv).
        q, k, v = self.Wqkv(desc).unflatten(-1, (3, self.num_heads, -1)).permute(2, 0, 3, 1, 4)
        context = F.scaled_dot_product_attention(apply_rotary(rotary, q), apply_rotary(rotary, k), v)
        message = self.out_proj(context.transpose(1, 2).flatten(-2))
        return desc + self.ffn(torch.cat([desc, message], -1))


class CrossBlock(nn.Module):
    """Bidirectional cross-attention: one similarity matrix serves both directions (keys are the queries)."""

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.to_qk = nn.Linear(dim, dim)
        self.to_v = nn.Linear(dim, dim)
        self.to_out = nn.Linear(dim, dim)
        self.ffn = feed_forward(dim)

    def project(self, desc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Query/key and value of one image, B x heads x N x head_dim (depends on that image only)."""
        split = lambda t: t.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)  # noqa: E731
        return split(self.to_qk(desc)), split(self.to_v(desc))

    def forward(self, desc0, desc1, projected0=None, projected1=None):
        qk0, v0 = projected0 if projected0 is not None else self.project(desc0)
        qk1, v1 = projected1 if projected1 is not None else self.project(desc1)
        if qk0.is_cuda:
            # Two fused attention calls beat one shared similarity matrix on GPUs (flash kernels).
            m0 = F.scaled_dot_product_attention(qk0, qk1, v1)
            m1 = F.scaled_dot_product_attention(qk1, qk0, v0)
        else:
            scale = qk0.shape[-1] ** -0.25
            sim = (qk0 * scale) @ (qk1 * scale).transpose(-1, -2)
            m0 = sim.softmax(-1) @ v1
            m1 = sim.transpose(-1, -2).contiguous().softmax(-1) @ v0
        m0, m1 = (self.to_out(m.transpose(1, 2).flatten(-2)) for m in (m0, m1))
        return desc0 + self.ffn(torch.cat([desc0, m0], -1)), desc1 + self.ffn(torch.cat([desc1, m1], -1))


class MatchAssignment(nn.Module):
    """Partial assignment: similarity plus a matchability per point, as a log double-softmax."""

    def __init__(self, dim: int):
        super().__init__()
        self.matchability = nn.Linear(dim, 1)
        self.final_proj = nn.Linear(dim, dim)

    def forward(self, desc0: torch.Tensor, desc1: torch.Tensor) -> torch.Tensor:
        return log_double_softmax(*self.similarity(desc0, desc1))

    def similarity(self, desc0: torch.Tensor, desc1: torch.Tensor) -> tuple:
        """Similarity (B x M x N) and matchability logits (B x M x 1, B x N x 1): the learnt part."""
        scale = desc0.shape[-1] ** -0.25
        sim = (self.final_proj(desc0) * scale) @ (self.final_proj(desc1) * scale).transpose(-1, -2)
        return sim, self.matchability(desc0), self.matchability(desc1)

    def matchable(self, desc: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.matchability(desc)).squeeze(-1)


def log_double_softmax(sim: torch.Tensor, z0: torch.Tensor, z1: torch.Tensor) -> torch.Tensor:
    """B x (M+1) x (N+1) log assignment; the last row/column hold the log-probability of being unmatched."""
    b, m, n = sim.shape
    scores = sim.new_zeros((b, m + 1, n + 1))
    scores[:, :m, :n] = (sim.log_softmax(2) + sim.log_softmax(1)
                         + F.logsigmoid(z0) + F.logsigmoid(z1).transpose(1, 2))
    scores[:, :m, n] = F.logsigmoid(-z0.squeeze(-1))
    scores[:, m, :n] = F.logsigmoid(-z1.squeeze(-1))
    return scores


def filter_matches(scores: torch.Tensor, threshold: float):
    """Mutual nearest neighbours in the assignment whose probability exceeds the threshold."""
    max0, max1 = scores[:, :-1, :-1].max(2), scores[:, :-1, :-1].max(1)
    m0, m1 = max0.indices, max1.indices
    mutual0 = torch.arange(m0.shape[1], device=m0.device)[None] == m1.gather(1, m0)
    mutual1 = torch.arange(m1.shape[1], device=m1.device)[None] == m0.gather(1, m1)
    zero = scores.new_tensor(0.0)
    mscores0 = torch.where(mutual0, max0.values.exp(), zero)
    mscores1 = torch.where(mutual1, mscores0.gather(1, m1), zero)
    valid0 = mutual0 & (mscores0 > threshold)
    valid1 = mutual1 & valid0.gather(1, m1)
    return torch.where(valid0, m0, -1), torch.where(valid1, m1, -1), mscores0, mscores1


@dataclass
class EncodedImage:
    """An image's share of LightGlue's work, reusable against any number of other images (batch B)."""

    num_keypoints: int
    desc: torch.Tensor          # B x N x dim, after the first self-attention block
    rotary: torch.Tensor        # 2 x B x 1 x N x head_dim
    projected: tuple            # first cross-attention block's (query/key, value) of this image


class LightGlue(nn.Module):
    default_conf = {
        "features": "aliked",       # superpoint | aliked | disk: sets input_dim and the checkpoint
        "descriptor_dim": 256,      # width of the transformer
        "n_layers": 9,              # self + cross attention layers
        "num_heads": 4,
        "depth_confidence": 0.95,   # early stop once this fraction of points is confident (-1: never)
        "width_confidence": 0.99,   # prune points whose matchability < 1 - this (-1: never)
        "filter_threshold": 0.1,    # minimum match probability
        "precision": "fp32",        # fp32 | fp16 | bf16 (mixed precision, CUDA only)
        # Pruning gathers tensors, which costs more than it saves on small sets on a GPU; below this many
        # points of an image, it is not pruned. The official values: always on CPU and MPS, above 1024 on CUDA.
        "pruning_min_keypoints": {"cpu": -1, "mps": -1, "cuda": 1024},
    }

    def __init__(self, features: str = "aliked", conf: Optional[dict] = None, weights=None):
        super().__init__()
        self.conf = conf = {**self.default_conf, **(conf or {}), "features": features}
        if features not in FEATURES:
            raise ValueError(f"LightGlue: unknown features {features!r}, expected one of {sorted(FEATURES)}")
        if conf["precision"] not in PRECISIONS:
            raise ValueError(f"LightGlue: precision must be one of {sorted(PRECISIONS)}, got {conf['precision']!r}")
        dim, heads, layers = conf["descriptor_dim"], conf["num_heads"], conf["n_layers"]
        self.input_dim = FEATURES[features]["input_dim"]
        self.input_proj = nn.Linear(self.input_dim, dim) if self.input_dim != dim else nn.Identity()
        self.posenc = LearnableFourierPositionalEncoding(2, dim // heads)
        self.transformers = nn.ModuleList([TransformerLayer(dim, heads) for _ in range(layers)])
        self.log_assignment = nn.ModuleList([MatchAssignment(dim) for _ in range(layers)])
        self.token_confidence = nn.ModuleList([TokenConfidence(dim) for _ in range(layers - 1)])
        self.confidence_thresholds = [self.confidence_threshold(i) for i in range(layers)]
        load_weights(self, weights, FEATURES[features]["weights"],
                     adapt=lambda state: upgrade_state_dict(state, conf["num_heads"]))
        self.eval()

    def confidence_threshold(self, layer: int) -> float:
        """Points above this confidence count as settled; stricter in early layers."""
        return min(max(0.8 + 0.1 * math.exp(-4.0 * layer / self.conf["n_layers"]), 0.0), 1.0)

    # --- inference ---------------------------------------------------------------------------------------

    @torch.inference_mode()
    def encode(self, keypoints: torch.Tensor, descriptors: torch.Tensor, image_size) -> EncodedImage:
        """Everything for one image (B x N x 2 pixels, B x N x D) that does not depend on the other image."""
        if descriptors.shape[-1] != self.input_dim:
            raise ValueError(f"LightGlue[{self.conf['features']}] expects {self.input_dim}-d descriptors, "
                             f"got {descriptors.shape[-1]}")
        image_size = torch.as_tensor(image_size, device=keypoints.device).reshape(-1, 2).expand(len(keypoints), 2)
        with self.autocast(keypoints.device):
            positions = normalize_keypoints(keypoints, image_size)
            if keypoints.shape[1] == 0:
                return EncodedImage(0, self.input_proj(descriptors), self.posenc(positions), (None, None))
            desc, rotary, projected = self._encode(positions, descriptors.contiguous())
            return EncodedImage(keypoints.shape[1], desc, rotary, projected)

    @torch.inference_mode()
    def match_encoded(self, encoded0: EncodedImage, encoded1: EncodedImage) -> dict:
        """Match two encoded images; the official output dict (matches0/1, scores, stop, prune0/1, …)."""
        with self.autocast(encoded0.desc.device):
            return self._match(encoded0, encoded1)

    def forward(self, data: dict) -> dict:
        """The official interface: data = {"image0": {keypoints, descriptors, image_size | image}, "image1": …}."""
        encoded = []
        for key in ("image0", "image1"):
            image = data[key]
            size = image.get("image_size")
            if size is None:  # official fallback: the image tensor gives (width, height)
                size = torch.tensor(image["image"].shape[-1:-3:-1], device=image["keypoints"].device)
            encoded.append(self.encode(image["keypoints"], image["descriptors"], size))
        return self.match_encoded(*encoded)

    def autocast(self, device: torch.device):
        dtype = PRECISIONS[self.conf["precision"]]
        return torch.autocast(device_type=device.type, dtype=dtype,
                              enabled=device.type == "cuda" and dtype != torch.float32)

    def _match(self, encoded0: EncodedImage, encoded1: EncodedImage) -> dict:
        conf = self.conf
        m, n = encoded0.num_keypoints, encoded1.num_keypoints
        desc0, desc1 = encoded0.desc, encoded1.desc
        rotary0, rotary1 = encoded0.rotary, encoded1.rotary
        batch, device = desc0.shape[0], desc0.device
        early_stop = conf["depth_confidence"] > 0
        # Pruning selects the same points in every batch element, so it runs for batch 1 only.
        pruning = conf["width_confidence"] > 0 and batch == 1
        min_prune = conf["pruning_min_keypoints"].get(device.type, -1)
        index0 = torch.arange(m, device=device)[None]
        index1 = torch.arange(n, device=device)[None]
        prune0 = torch.ones_like(index0)  # number of layers each point took part in
        prune1 = torch.ones_like(index1)
        layer = 0
        for layer in range(conf["n_layers"]):
            if desc0.shape[1] == 0 or desc1.shape[1] == 0:
                break
            desc0, desc1 = self._layer(layer, desc0, desc1, rotary0, rotary1, encoded0.projected,
                                       encoded1.projected)
            if layer == conf["n_layers"] - 1:
                break
            prune_now0 = pruning and desc0.shape[1] > min_prune
            prune_now1 = pruning and desc1.shape[1] > min_prune
            if not (early_stop or prune_now0 or prune_now1):
                continue
            token0, matchable0 = self._heads(layer, desc0)
            token1, matchable1 = self._heads(layer, desc1)
            if early_stop and self.should_stop(token0, token1, layer, m + n):
                break
            if not early_stop:  # unconfident points are protected from pruning only when stopping is on
                token0 = token1 = None
            if prune_now0:
                keep0 = self.keep_mask(token0, matchable0, layer)[0]
                index0, desc0, rotary0 = index0[:, keep0], desc0[:, keep0], rotary0[..., keep0, :]
                prune0[:, index0] += 1
            if prune_now1:
                keep1 = self.keep_mask(token1, matchable1, layer)[0]
                index1, desc1, rotary1 = index1[:, keep1], desc1[:, keep1], rotary1[..., keep1, :]
                prune1[:, index1] += 1

        if desc0.shape[1] == 0 or desc1.shape[1] == 0:  # nothing to match
            m0 = torch.full(desc0.shape[:2], -1, device=device, dtype=torch.long)
            m1 = torch.full(desc1.shape[:2], -1, device=device, dtype=torch.long)
            mscores0, mscores1 = m0.float().clamp(min=0), m1.float().clamp(min=0)
        else:
            scores = log_double_softmax(*(x.float() for x in self._similarity(layer, desc0, desc1)))
            m0, m1, mscores0, mscores1 = filter_matches(scores, conf["filter_threshold"])

        # Back from surviving points to the input indices.
        matches0 = torch.full((batch, m), -1, device=device, dtype=torch.long)
        matches1 = torch.full((batch, n), -1, device=device, dtype=torch.long)
        scores0 = torch.zeros((batch, m), device=device)
        scores1 = torch.zeros((batch, n), device=device)
        if index0.shape[1] and index1.shape[1]:
            matches0[:, index0[0]] = torch.where(m0 == -1, -1, index1[0][m0.clamp(min=0)])
            matches1[:, index1[0]] = torch.where(m1 == -1, -1, index0[0][m1.clamp(min=0)])
            scores0[:, index0[0]], scores1[:, index1[0]] = mscores0, mscores1
        matches, mscores = [], []
        for k in range(batch):
            valid = matches0[k] > -1
            i0 = torch.where(valid)[0]
            matches.append(torch.stack([i0, matches0[k][valid]], -1))
            mscores.append(scores0[k][valid])
        if not pruning:
            prune0 = torch.full((batch, m), conf["n_layers"], device=device)
            prune1 = torch.full((batch, n), conf["n_layers"], device=device)
        return {"matches0": matches0, "matches1": matches1, "matching_scores0": scores0,
                "matching_scores1": scores1, "matches": matches, "scores": mscores, "stop": layer + 1,
                "prune0": prune0, "prune1": prune1}

    # --- the learnt steps; the onnxruntime backend (onnx_backend.py) runs them as exported graphs -----------
    def _encode(self, positions: torch.Tensor, descriptors: torch.Tensor) -> tuple:
        """Encode one image: its state after the first self-attention block, and what later blocks reuse.

        From normalised keypoints and descriptors; also returns its rotary encoding and the first cross-attention
        block's projections.
        """
        rotary = self.posenc(positions)
        first = self.transformers[0]
        desc = first.self_attn(self.input_proj(descriptors), rotary)
        return desc, rotary, first.cross_attn.project(desc)

    def _layer(self, layer: int, desc0, desc1, rotary0, rotary1, projected0, projected1) -> tuple:
        if layer == 0:  # its self-attention and projections ran in encode()
            return self.transformers[0].cross_attn(desc0, desc1, projected0, projected1)
        return self.transformers[layer](desc0, desc1, rotary0, rotary1)

    def _heads(self, layer: int, desc: torch.Tensor) -> tuple:
        """Per-point confidence (early stopping) and matchability (pruning) after `layer`."""
        return self.token_confidence[layer](desc), self.log_assignment[layer].matchable(desc)

    def _similarity(self, layer: int, desc0, desc1) -> tuple:
        return self.log_assignment[layer].similarity(desc0, desc1)

    def should_stop(self, token0, token1, layer: int, num_points: int) -> bool:
        """Adaptive depth: stop when enough points (pruned ones count as settled) are confident."""
        threshold = self.confidence_thresholds[layer]
        unsure = (token0 < threshold).sum() + (token1 < threshold).sum()
        return bool(1.0 - unsure.item() / num_points > self.conf["depth_confidence"])

    def keep_mask(self, token, matchable, layer: int) -> torch.Tensor:
        """Adaptive width: drop points that are confidently unmatchable."""
        keep = matchable > 1 - self.conf["width_confidence"]
        if token is not None:  # points not yet confident are never pruned
            keep |= token <= self.confidence_thresholds[layer]
        return keep


class TransformerLayer(nn.Module):
    """One LightGlue layer: self-attention within each image, then cross-attention between the two."""

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.self_attn = SelfBlock(dim, num_heads)
        self.cross_attn = CrossBlock(dim, num_heads)

    def forward(self, desc0, desc1, rotary0, rotary1):
        return self.cross_attn(self.self_attn(desc0, rotary0), self.self_attn(desc1, rotary1))


def upgrade_state_dict(state: dict, num_heads: int) -> dict:
    """Map an official checkpoint to our layout.

    Layer names of v0.1 (`self_attn.i` → `transformers.i.self_attn`) and the self-attention projection rows
    (reorder_qkv).
    """
    renamed = {}
    for key, value in state.items():
        for block in ("self_attn", "cross_attn"):
            if key.startswith(block + "."):
                layer, rest = key[len(block) + 1:].split(".", 1)
                key = f"transformers.{layer}.{block}.{rest}"
        renamed[key] = value
    # The DISK checkpoint carries a training-time temperature `log_assignment.i.r` that inference never uses.
    return {k: reorder_qkv(v, num_heads) if ".self_attn.Wqkv." in k else v
            for k, v in renamed.items() if not (k.startswith("log_assignment.") and k.endswith(".r"))}


def reorder_qkv(weight: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Official Wqkv rows (head, channel, qkv) → ours (qkv, head, channel), q/k channel pairs half a head apart.

    Why not upstream's layout (no reordering, `unflatten(-1, (heads, -1, 3))` and adjacent pairs in the forward
    pass): it sums q·k in another order, which moves float32 match scores by up to 7e-5 (the same matches, and no
    nearer to the official code's scores); the layout stays so that our numbers stay.
    """
    per_head = weight.reshape(num_heads, -1, 3, *weight.shape[1:]).movedim(2, 0)  # qkv, head, channel, …
    head_dim = per_head.shape[2]
    pairs_apart = torch.cat([torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)])
    q, k, v = per_head
    return torch.stack([q[:, pairs_apart], k[:, pairs_apart], v]).reshape(weight.shape)
