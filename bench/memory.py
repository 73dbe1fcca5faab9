# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Memory of the VO pipeline in one process (issue 19): RSS after start-up, after warm-up and while frames run.

    .venv/bin/python bench/memory.py ../shared/data/kitti04/image_0 --camera 707.0912 707.0912 601.8873 183.1104 \
        [--frames 300] [--set backend=torch ...]

The frames play forward then backward (ping-pong) so the motion stays continuous for as many frames as asked.
Prints VmRSS (from /proc/self/status) and the thread count after the imports, after the models are built and warmed
up, then every `--every` frames, then the onnxruntime sessions that exist and the mean ms per frame. The node adds
rclpy and its buffers on top; `lightglue-vo bench vo --node` measures it.
"""
import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) / 1024


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--camera", type=float, nargs="+", required=True)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--set", nargs="*", default=[], metavar="KNOB=VALUE", help="VOConfig overrides")
    parser.add_argument("--ort", nargs="*", default=[], metavar="KEY=VALUE",
                        help="onnx_backend.default_conf overrides (threads, arena, arena_extend, mem_pattern, "
                             "io_binding)")
    args = parser.parse_args()

    import torch  # noqa: F401  (counted in the start-up RSS, as in the node)
    from lightglue_ros.models import onnx_backend
    from lightglue_ros.models.matching import FeatureMatcher
    from lightglue_ros.vo.config import VOConfig
    from lightglue_ros.vo.sources import camera_from_values, open_source
    from lightglue_ros.vo.tracker import Tracker

    for item in args.ort:
        key, value = item.split("=", 1)
        default = onnx_backend.default_conf[key]
        onnx_backend.default_conf[key] = value.lower() in ("1", "true") if isinstance(default, bool) else value
    print(f"imports : RSS {rss_mb():.0f} MB, {threads()} threads", flush=True)
    frames = list(open_source(args.source))
    images = [f.image for f in frames]
    height, width = images[0].shape[:2]
    values = dict(item.split("=", 1) for item in args.set)
    fields = VOConfig.__dataclass_fields__
    config = VOConfig(**{k: type(fields[k].default)(v) if not isinstance(fields[k].default, bool)
                         else v.lower() in ("1", "true") for k, v in values.items()})
    print(f"frames  : RSS {rss_mb():.0f} MB ({len(images)} frames {width}x{height}, "
          f"{sum(i.nbytes for i in images) / 2**20:.0f} MB), overrides {values or 'none'}, onnxruntime "
          f"{onnx_backend.default_conf}", flush=True)
    matcher = FeatureMatcher.from_config(config)
    print(f"models  : RSS {rss_mb():.0f} MB, {threads()} threads", flush=True)
    matcher.prepare((width, height))
    print(f"sessions: RSS {rss_mb():.0f} MB, {threads()} threads", flush=True)
    matcher.warmup((width, height))
    tracker = Tracker(config, camera_from_values(args.camera, width, height), matcher=matcher)
    print(f"warm-up : RSS {rss_mb():.0f} MB, {threads()} threads, backend {matcher.backend}", flush=True)
    order = itertools.cycle(list(range(len(images))) + list(range(len(images) - 2, 0, -1)))
    samples, times = [], []
    cpu_start = sum(os.times()[:2])
    for i in range(1, args.frames + 1):
        index = next(order)
        start = time.perf_counter()
        tracker.process(images[index], float(i) * 0.1)
        times.append(time.perf_counter() - start)
        if i % args.every == 0:
            samples.append(rss_mb())
            print(f"frame {i:5d}: RSS {samples[-1]:.0f} MB, {threads()} threads, "
                  f"{1e3 * np.mean(times[-args.every:]):.0f} ms/frame", flush=True)
    sessions = []
    for owner in (matcher.extractor, matcher.lightglue):
        sessions += list(getattr(owner, "graphs", {}))
    print(f"made    : {len(sessions)} sessions")
    print(f"summary : warm-up -> last {samples[0] if samples else float('nan'):.0f} .. {samples[-1]:.0f} MB "
          f"(max {max(samples):.0f}), {1e3 * np.mean(times):.0f} ms/frame, CPU "
          f"{1e3 * (sum(os.times()[:2]) - cpu_start) / len(times):.0f} ms/frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
