# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo match IMG0 IMG1`: extract, match, and write the matches as JSON and/or a picture."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np


def add_arguments(parser) -> None:
    parser.add_argument("image0", type=Path)
    parser.add_argument("image1", type=Path)
    parser.add_argument("--features", choices=("superpoint", "aliked", "disk"), default="aliked")
    parser.add_argument("--max-keypoints", type=int, default=2048)
    parser.add_argument("--resize", type=int, nargs=2, metavar=("W", "H"),
                        help="size the models see (keypoints are reported in input pixels anyway)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--depth-confidence", type=float, default=0.95, help="-1 disables early stopping")
    parser.add_argument("--width-confidence", type=float, default=0.99, help="-1 disables point pruning")
    parser.add_argument("--weights-dir", help="look for checkpoints here first")
    parser.add_argument("--json", type=Path, help="write keypoints, matches, scores, stop layer and timings")
    parser.add_argument("--viz", type=Path, help="write both images side by side with the matches (PNG)")


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read an image from {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def draw_matches_side_by_side(image0, image1, keypoints0, keypoints1, scores) -> np.ndarray:
    """Side by side (RGB), one line per match coloured by score: red (low) to green (high)."""
    height = max(image0.shape[0], image1.shape[0])
    canvas = np.zeros((height, image0.shape[1] + image1.shape[1], 3), np.uint8)
    canvas[:image0.shape[0], :image0.shape[1]] = image0
    canvas[:image1.shape[0], image0.shape[1]:] = image1
    offset = np.array([image0.shape[1], 0])
    for p0, p1, score in zip(keypoints0, keypoints1, scores):
        colour = (int(255 * (1 - score)), int(255 * score), 0)
        cv2.line(canvas, tuple(np.round(p0).astype(int)), tuple(np.round(p1 + offset).astype(int)), colour, 1,
                 cv2.LINE_AA)
    return canvas


def run(args) -> int:
    from lightglue_ros.models.matching import FeatureMatcher

    image0, image1 = read_rgb(args.image0), read_rgb(args.image1)
    matcher = FeatureMatcher(args.features, max_keypoints=args.max_keypoints, resize=args.resize,
                             device=args.device, depth_confidence=args.depth_confidence,
                             width_confidence=args.width_confidence, weights_dir=args.weights_dir)
    features0, features1, result = matcher.match_images(image0, image1)
    keypoints0 = features0.keypoints.cpu().numpy()
    keypoints1 = features1.keypoints.cpu().numpy()
    print(f"{len(keypoints0)} + {len(keypoints1)} keypoints, {len(result.matches)} matches, "
          f"{result.stop_layer}/{result.num_layers} layers, pruned {result.pruned[0]}+{result.pruned[1]}; "
          + ", ".join(f"{stage} {ms:.1f} ms" for stage, ms in result.timings.items()))
    if args.json:
        args.json.write_text(json.dumps({
            "features": args.features, "device": str(matcher.device),
            "image_size0": list(features0.image_size), "image_size1": list(features1.image_size),
            "keypoints0": keypoints0.tolist(), "keypoints1": keypoints1.tolist(),
            "matches": result.matches.tolist(), "scores": result.scores.tolist(),
            "stop_layer": result.stop_layer, "num_layers": result.num_layers, "pruned": list(result.pruned),
            "timings_ms": result.timings,
        }))
    if args.viz:
        canvas = draw_matches_side_by_side(image0, image1, keypoints0[result.matches[:, 0]],
                                           keypoints1[result.matches[:, 1]], result.scores)
        if not cv2.imwrite(str(args.viz), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)):
            print(f"cannot write {args.viz}", file=sys.stderr)
            return 1
    return 0
