# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo bench match | vo`: our code against the official one, same inputs and weights.

`vo`: the whole pipeline (bench_vo.py). `match`: our extractor and LightGlue against the official code.

For each device (CPU always, CUDA when present), precision, keypoint budget and adaptivity setting it times:
extraction (ours vs the official ALIKED; without torchvision it runs on kornia's port of deform_conv2d), matching
with the official interface (ours vs official, outputs compared in the same run: `same` is the share of identical
assignments), and matching against a cached keyframe encoding (ours only: what the tracker pays per frame).
The official LightGlue knows one mixed precision (fp16 autocast); it runs that in the bf16 rows too.
Prints one table with medians in ms and ours/official ratios.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import torch

from lightglue_ros.commands import bench_vo
from lightglue_ros.models.official import official_aliked, official_module

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def add_arguments(parser) -> None:
    parser.add_argument("what", choices=("match", "vo"), help="what to benchmark")
    parser.add_argument("--features", choices=("aliked", "disk"), default="aliked",
                        help="feature type (the official checkpoints of both exist offline)")
    parser.add_argument("--keypoints", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--devices", nargs="+", default=None, help="default: cpu, plus cuda when present")
    parser.add_argument("--image0", type=Path, default=DATA / "image_pairs" / "sacre_coeur1.jpg")
    parser.add_argument("--image1", type=Path, default=DATA / "image_pairs" / "sacre_coeur2.jpg")
    parser.add_argument("--resize", type=int, default=1024, help="longer image side the extractor sees")
    parser.add_argument("--repeats", type=int, help="default: 10 (match), 2 (vo: passes over the sequence)")
    bench_vo.add_arguments(parser)


def paired_median_ms(ours, reference, repeats: int, device: torch.device) -> tuple[float, float]:
    """Median wall times of two functions, run alternately so that both see the same machine load."""
    def once(fn):
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return (time.perf_counter() - start) * 1e3

    reference = reference or (lambda: None)
    for _ in range(2):  # warm-up: allocator, kernels, lazy initialisation
        once(ours), once(reference)
    times = [(once(ours), once(reference)) for _ in range(repeats)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def official_extractor(features: str, max_keypoints: int, device):
    """The official extractor with the same settings as ours (see official.official_aliked for torchvision)."""
    if features == "aliked":
        return official_aliked()(max_num_keypoints=max_keypoints).eval().to(device)
    return official_module("disk").DISK(max_num_keypoints=max_keypoints).eval().to(device)


def run(args) -> int:
    if args.what == "vo":
        args.repeats = args.repeats or 2
        return bench_vo.run(args)
    args.repeats = args.repeats or 10
    import cv2

    from lightglue_ros.models.lightglue import LightGlue
    from lightglue_ros.models.matching import FeatureMatcher

    images = []
    for path in (args.image0, args.image1):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read {path}")
        images.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    reference = official_module("lightglue")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; images {args.image0.name}, "
          f"{args.image1.name} at {args.resize} px; {args.repeats} repeats, median ms")
    header = (f"{'device':6} {'prec':5} {'kpts':>5} {'adapt':5} | {'extract':>8} {'ref':>8} {'ratio':>5} | "
              f"{'match':>8} {'ref':>8} {'ratio':>5} {'same':>6} {'layers':>6} | {'cached':>8}")
    print(header)
    print("-" * len(header))
    for device_name in devices:
        device = torch.device(device_name)
        precisions = ["fp32"] + (["fp16", "bf16"] if device.type == "cuda" else [])
        for max_keypoints in args.keypoints:
            matcher = FeatureMatcher(args.features, max_keypoints=max_keypoints, resize=args.resize,
                                     device=device_name, precision="fp32")
            features = [matcher.extract(image) for image in images]
            tensors = [matcher.image_tensor(image)[0] for image in images]
            ref_extractor = official_extractor(args.features, max_keypoints, device)
            with torch.inference_mode():
                extract_ms, ref_extract_ms = paired_median_ms(lambda: matcher.extractor({"image": tensors[0]}),
                                                              lambda: ref_extractor({"image": tensors[0]}),
                                                              args.repeats, device)
            data = {f"image{i}": {"keypoints": f.keypoints[None], "descriptors": f.descriptors[None],
                                  "image_size": torch.tensor([f.image_size], device=device)}
                    for i, f in enumerate(features)}
            for precision in precisions:
                for adaptive in (True, False):
                    depth, width = (0.95, 0.99) if adaptive else (-1, -1)
                    ours = LightGlue(args.features, {"depth_confidence": depth, "width_confidence": width,
                                                     "precision": precision}).to(device)
                    official = reference.LightGlue(args.features, depth_confidence=depth, width_confidence=width,
                                                   mp=precision != "fp32").eval().to(device)
                    with torch.inference_mode():
                        got, expected = ours(data), official(data)
                        same = (got["matches0"] == expected["matches0"]).float().mean().item()
                        match_ms, ref_ms = paired_median_ms(lambda: ours(data), lambda: official(data),
                                                            args.repeats, device)
                        keyframe = ours.encode(data["image0"]["keypoints"], data["image0"]["descriptors"],
                                               data["image0"]["image_size"])
                        frame = data["image1"]
                        cached_ms, _ = paired_median_ms(lambda: ours.match_encoded(keyframe, ours.encode(
                            frame["keypoints"], frame["descriptors"], frame["image_size"])), None,
                            args.repeats, device)  # the reference column times a no-op
                    print(f"{device_name:6} {precision:5} {len(features[0]):5d} {'on' if adaptive else 'off':5} | "
                          f"{extract_ms:8.1f} {ref_extract_ms:8.1f} {extract_ms / ref_extract_ms:5.2f} | "
                          f"{match_ms:8.1f} {ref_ms:8.1f} {match_ms / ref_ms:5.2f} {same:6.1%} "
                          f"{got['stop']:3d}/{expected['stop']:<2d} | {cached_ms:8.1f}")
    return 0
