# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The matching API the VO frontend uses: extract features once, encode a keyframe once, match many frames to it.

    matcher = FeatureMatcher(features="aliked", max_keypoints=1024, device="auto")
    keyframe = matcher.encode(matcher.extract(image0))        # stays on the compute device
    for image in frames:
        result = matcher.match(keyframe, matcher.encode(matcher.extract(image)))

Images are numpy arrays (H x W uint8 gray or H x W x 3 uint8 RGB); keypoints are always in pixels of the input
image, whatever the internal resize.
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import cv2
import numpy as np
import torch

from .lightglue import EncodedImage, LightGlue
from ..timing import wall_timer

# feature name → (module, class, name of its weights for resolve_weights)
EXTRACTORS = {
    "superpoint": ("superpoint", "SuperPoint", "superpoint"),
    "aliked": ("aliked", "ALIKED", "aliked-n16"),
    "disk": ("disk", "DISK", "disk"),
}


def extractor_class(name: str):
    if name not in EXTRACTORS:
        raise ValueError(f"unknown features {name!r}, expected one of {sorted(EXTRACTORS)}")
    module, cls, _ = EXTRACTORS[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), cls)


def select_device(device: str = "auto") -> torch.device:
    """'auto' → CUDA when present, else CPU; an unavailable CUDA request falls back to CPU with a warning."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        warnings.warn(f"device {device!r} requested but CUDA is not available: running on the CPU", stacklevel=2)
        return torch.device("cpu")
    return resolved


def select_backend(backend: str, device: torch.device) -> str:
    """Backend for 'auto': onnxruntime on a CPU, torch on CUDA.

    onnxruntime measured faster on a CPU (`lightglue-vo bench vo`); on CUDA torch has fp16 autocast and
    onnxruntime's CPU wheel no CUDA provider. onnxruntime is an install extra (`cpu` or `gpu`): without it 'auto'
    is torch, with a warning.
    """
    if backend == "auto":
        if device.type != "cpu":
            return "torch"
        if importlib.util.find_spec("onnxruntime") is None:
            warnings.warn("onnxruntime is not installed (pip install .[cpu]): backend auto runs torch, about 1.4x "
                          "slower on a CPU", stacklevel=2)
            return "torch"
        return "onnxruntime"
    if backend not in ("torch", "onnxruntime"):
        raise ValueError(f"backend must be auto, torch or onnxruntime, got {backend!r}")
    return backend


def select_precision(precision: str, device: torch.device) -> str:
    """'auto' → fp16 on CUDA, fp32 elsewhere; half precision on a CPU falls back to fp32 (slower, not faster)."""
    if precision == "auto":
        return "fp16" if device.type == "cuda" else "fp32"
    if precision != "fp32" and device.type != "cuda":
        warnings.warn(f"precision {precision} needs CUDA: using fp32 on {device}", stacklevel=2)
        return "fp32"
    if precision == "bf16" and not torch.cuda.is_bf16_supported():  # Xavier, Turing: autocast would fail
        warnings.warn(f"{torch.cuda.get_device_name(device)} has no bf16: using fp16", stacklevel=2)
        return "fp16"
    return precision


@dataclass
class Features:
    """One image's local features, on the compute device."""

    keypoints: torch.Tensor          # N x 2, pixels of the input image
    scores: torch.Tensor             # N
    descriptors: torch.Tensor        # N x D
    image_size: tuple                # (width, height) of the input image

    def __len__(self) -> int:
        return len(self.keypoints)


@dataclass
class EncodedFeatures:
    """Features plus LightGlue's per-image encoding; a keyframe keeps one for its lifetime."""

    features: Features
    encoded: EncodedImage


@dataclass
class MatchResult:
    matches: np.ndarray              # K x 2 int64 indices into (features0, features1)
    scores: np.ndarray               # K float32 match probabilities
    stop_layer: int                  # LightGlue layers run (adaptive depth)
    num_layers: int
    pruned: tuple                    # points pruned away per image (adaptive width)
    timings: dict = field(default_factory=dict)  # milliseconds


class FeatureMatcher:
    """An extractor and LightGlue on one device, configured from VOConfig's knobs."""

    def __init__(self, features: str = "aliked", max_keypoints: int = 1024,
                 resize: Union[int, Sequence[int], None] = 640, device: str = "auto", precision: str = "auto",
                 depth_confidence: float = 0.95, width_confidence: float = 0.99, filter_threshold: float = 0.1,
                 weights_dir: Optional[str] = None, backend: str = "torch", session_conf: Optional[dict] = None):
        self.device = select_device(device)
        self.precision = select_precision(precision, self.device)
        self.backend = select_backend(backend, self.device)
        self.pending_timings = []  # CUDA events of timed stages (see timer)
        self.features = features
        self.resize = resize
        extractor_weights = lightglue_weights = None  # None: the models ask the resolver's default sources
        if weights_dir:
            from .weights import resolve_weights
            extractor_weights = resolve_weights(EXTRACTORS[features][2], cache_dir=weights_dir)
            lightglue_weights = resolve_weights(f"{features}_lightglue", cache_dir=weights_dir)
        self.extractor = extractor_class(features)({"max_num_keypoints": max_keypoints}, weights=extractor_weights)
        self.extractor.eval().to(self.device)
        lightglue_conf = {"depth_confidence": depth_confidence, "width_confidence": width_confidence,
                          "filter_threshold": filter_threshold, "precision": self.precision}
        if self.backend == "onnxruntime":
            from .onnx_backend import OnnxALIKED, OnnxLightGlue
            if features == "aliked":  # the other extractors stay in PyTorch
                self.extractor = OnnxALIKED(self.extractor, self.device, weights_dir, self.precision, session_conf)
            self.lightglue = OnnxLightGlue(features, lightglue_conf, lightglue_weights, weights_dir, self.device,
                                           max_keypoints, session_conf).to(self.device)
        else:
            self.lightglue = LightGlue(features, lightglue_conf, weights=lightglue_weights).to(self.device)

    def worker_copy(self, threads: int = 1) -> "FeatureMatcher":
        """A matcher for a background thread (the SLAM backend's verification): the same models, sessions of its own.

        Its onnxruntime LightGlue sessions have `threads` intra-op threads. The tracker's sessions run on pools of
        threads made by the thread that made them, at its OS priority: a background thread's matches there would take
        the tracker's priority and pool. With one thread a session runs on its caller alone. The torch backend's
        models are shared as they are.
        """
        twin = copy.copy(self)
        twin.pending_timings = []
        if self.backend == "onnxruntime":
            twin.lightglue = self.lightglue.worker_copy(threads)
        return twin

    @classmethod
    def from_config(cls, config) -> "FeatureMatcher":
        return cls(features=config.features, max_keypoints=config.max_keypoints, resize=config.resize or None,
                   device=config.device, precision=config.precision, depth_confidence=config.depth_confidence,
                   width_confidence=config.width_confidence, filter_threshold=config.filter_threshold,
                   weights_dir=config.weights_dir or None, backend=config.backend)

    @contextmanager
    def timer(self, timings: dict, stage: str):
        """Adds a stage's time in ms to `timings`.

        On CUDA, events in the stream instead of a synchronisation: the time is filled in by `resolve_timings`, which
        the caller runs once the frame's results are on the CPU (a copy that waits for the GPU anyway).
        """
        if self.device.type != "cuda":
            with wall_timer(timings, stage):
                yield
            return
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        stream = torch.cuda.current_stream(self.device)  # the matcher's device, not the current one (cuda:1)
        start.record(stream)
        yield
        end.record(stream)
        self.pending_timings.append((timings, stage, start, end))

    def resolve_timings(self) -> None:
        for timings, stage, start, end in self.pending_timings:
            end.synchronize()
            timings[stage] = timings.get(stage, 0.0) + start.elapsed_time(end)
        self.pending_timings.clear()

    def image_tensor(self, image: np.ndarray) -> tuple[torch.Tensor, tuple[float, float]]:
        """uint8 image → 1 x C x H x W float tensor on the device at the working size, and the pixel scale back."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
            raise ValueError(f"expected an H x W or H x W x 3 uint8 image, got {image.dtype} {image.shape}")
        height, width = image.shape[:2]
        if height < 16 or width < 16:
            raise ValueError(f"image {width}x{height} is too small to extract features (at least 16x16)")
        size = working_size(width, height, self.resize)
        if size != (width, height):
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        channels = self.extractor.required_channels
        if channels == 1 and image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        elif channels == 3 and image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        tensor = torch.from_numpy(image).to(self.device)
        tensor = tensor[None, None] if tensor.ndim == 2 else tensor.permute(2, 0, 1)[None]
        return tensor.float() / 255.0, (width / size[0], height / size[1])

    @torch.inference_mode()
    def extract(self, image: np.ndarray) -> Features:
        tensor, (scale_x, scale_y) = self.image_tensor(image)
        output = self.extractor({"image": tensor})
        # Keypoints are pixel centres at the working size; scale the centres back to the input image.
        scale = torch.tensor([scale_x, scale_y], device=self.device)
        keypoints = (output["keypoints"][0] + 0.5) * scale - 0.5
        height, width = np.asarray(image).shape[:2]
        return Features(keypoints, output["keypoint_scores"][0], output["descriptors"][0], (width, height))

    def encode(self, features: Features) -> EncodedFeatures:
        encoded = self.lightglue.encode(features.keypoints[None], features.descriptors[None],
                                        torch.tensor(features.image_size, device=self.device))
        return EncodedFeatures(features, encoded)

    def match(self, keyframe: EncodedFeatures, frame: EncodedFeatures) -> MatchResult:
        timings = {}
        with self.timer(timings, "match"):
            output = self.lightglue.match_encoded(keyframe.encoded, frame.encoded)
        stop = int(output["stop"])
        # prune0/1 count the layers each point took part in: points that dropped out before the last one ran.
        # One copy to the CPU for matches, scores and pruned counts (each copy from a GPU waits for it).
        pruned = torch.stack([(output[k][0] < stop).sum() for k in ("prune0", "prune1")])
        matches = output["matches"][0]
        packed = torch.cat([matches.double(), output["scores"][0].double()[:, None]], 1)
        packed = torch.cat([packed.flatten(), pruned.double()]).cpu().numpy()
        self.resolve_timings()
        table = packed[:-2].reshape(-1, 3)
        return MatchResult(matches=table[:, :2].astype(np.int64), scores=table[:, 2].astype(np.float32),
                           stop_layer=stop, num_layers=self.lightglue.conf["n_layers"],
                           pruned=tuple(int(p) for p in packed[-2:]), timings=timings)

    def match_images(self, image0: np.ndarray, image1: np.ndarray):
        """Both images end to end: (features0, features1, result) with extraction and encoding timings."""
        timings = {}
        with self.timer(timings, "extract"):
            features0, features1 = self.extract(image0), self.extract(image1)
        with self.timer(timings, "encode"):
            encoded0, encoded1 = self.encode(features0), self.encode(features1)
        result = self.match(encoded0, encoded1)  # resolves the timings (CUDA)
        result.timings = {**timings, **result.timings}
        return features0, features1, result

    def prepare(self, size: tuple[int, int]) -> None:
        """Make what frames of this input size (width, height) need, before the first one.

        With onnxruntime: every session (LightGlue's 27, ALIKED's at the working size), exported first where the
        cache lacks the graph.
        """
        if hasattr(self.lightglue, "export_all"):
            self.lightglue.export_all()
        if hasattr(self.extractor, "graph"):
            self.extractor.graph(*working_size(*size, self.resize))

    def warmup(self, size: tuple[int, int] = (640, 480)) -> None:
        """`prepare(size)`, then one pass on a textured dummy image of that size.

        Allocator, kernels and lazy inits happen before the first frame. Frames of another size later make their
        own graph (warned).
        """
        self.prepare(size)
        rng = np.random.default_rng(0)
        image = cv2.GaussianBlur(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8), (5, 5), 0)
        self.match_images(image, image)
        if hasattr(self.extractor, "live"):
            self.extractor.live = True

    def runtime(self) -> str:
        """What runs the models, for the log: backend, device, precision, and the providers sessions got."""
        text = f"{self.backend} on {self.device} ({self.precision})"
        graphs = [g for owner in (self.extractor, self.lightglue) for g in getattr(owner, "graphs", {}).values()]
        if graphs:
            got = sorted({g.provider for g in graphs})
            text += f", {len(graphs)} onnxruntime sessions on {', '.join(got)}"
        return text


def working_size(width: int, height: int, resize) -> tuple[int, int]:
    """(width, height) the models see: `resize` is the longer side (int), an explicit (W, H), or None/0."""
    if not resize:
        return width, height
    if isinstance(resize, (int, float)):
        scale = resize / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    w, h = resize
    return int(w), int(h)
