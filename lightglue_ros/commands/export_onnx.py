# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo export-onnx`: write the onnxruntime backend's graphs into the weight cache ahead of time.

    lightglue-vo export-onnx --size 640x480            # ALIKED's dense network at that working size + LightGlue
    lightglue-vo export-onnx --size 640x194 --cache-dir /opt/weights --features aliked

The backend builds missing graphs on first use anyway (a few seconds); this command is for robots whose cache is
read-only at run time, or to pay the export before a timed run. The size is the working size the extractor sees
(after `resize`: 640x480 for a 640x480 camera at resize 640, 640x194 for 1241x376).
"""
from __future__ import annotations

HELP = "write the onnxruntime backend's ONNX graphs into the weight cache"


def add_arguments(parser) -> None:
    parser.add_argument("--size", nargs="+", default=["640x480"], metavar="WxH",
                        help="working image size(s) of the extractor graph (default 640x480)")
    parser.add_argument("--features", choices=("superpoint", "aliked", "disk"), default="aliked",
                        help="LightGlue's features; the extractor graph exists for ALIKED")
    parser.add_argument("--cache-dir", help="weight cache (default: $LIGHTGLUE_ROS_WEIGHTS or ~/.cache/lightglue_ros)")


def run(args) -> int:
    import torch

    from lightglue_ros.models.matching import FeatureMatcher
    from lightglue_ros.models.onnx_backend import OnnxALIKED

    matcher = FeatureMatcher(args.features, device="cpu", precision="fp32", backend="onnxruntime",
                             weights_dir=args.cache_dir)
    paths = matcher.lightglue.export_all()
    if isinstance(matcher.extractor, OnnxALIKED):
        for size in args.size:
            width, height = (int(v) for v in size.lower().split("x"))
            paths.append(matcher.extractor.graph(width, height).path)
    for path in paths:
        print(path)
    print(f"{len(paths)} graphs in {paths[0].parent.parent if paths else '-'} (torch {torch.__version__})")
    return 0
