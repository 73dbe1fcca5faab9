# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The frontend's time per frame with the SLAM backend in its thread (as the node runs it) against without it.

    .venv/bin/python bench/slam_frontend.py ../shared/data/tum_fr1_rpy [--depth] [--max-frames N] \
        [--repeats 2] [--rate HZ] [--config vo.yaml]
    .venv/bin/python bench/slam_frontend.py ../shared/data/kitti04 --max-frames 150

A sequence folder as in ../shared/data: KITTI-style (`image_0/`, `camera.txt`) or TUM-style (`rgb/`, `depth/`,
`camera.txt`; `--depth`: RGB-D, the backend metric). The frames are read into memory first, then run through one
matcher (warmed up, as the node's) in two configurations, alternating `--repeats` times so that the load of a
shared machine falls on both alike: `tracker` (Tracker.process alone) and `slam` (then `TrackerLink.observe`, the
backend started in its thread: `SlamSide`'s set-up; BLAS on one thread in both
where threadpoolctl is installed, as the node does). Frames go in as fast as
the frontend takes them, or at `--rate` frames per second (a camera: a frame that is late goes at once).

Printed per run: the frontend's ms per frame (`FrameResult.timings['total']`) and the wall time per frame
(process + observe) as mean / median / p90; with SLAM the keyframes the backend processed by the last frame and its
backlog then, the time it took to drain that, its ms per keyframe, loops accepted and candidates verified; and the
process's CPU seconds (/proc): all threads, the backend's thread, and the four busiest threads with their niceness.
"""
import argparse
import os
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import yaml

from lightglue_ros.models.matching import FeatureMatcher
from lightglue_ros.slam import SlamBackend, SlamConfig, TrackerLink
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.sources import camera_from_values, read_depth
from lightglue_ros.vo.tracker import Tracker


def load_frames(folder: Path, depth: bool, max_frames: int):
    """(stamp, image, depth or None) in memory: reading files is no part of the frontend's time."""
    if (folder / "image_0").is_dir():
        files = sorted((folder / "image_0").glob("*.png"))[:max_frames]
        return [(0.1 * k, cv2.imread(str(f), cv2.IMREAD_GRAYSCALE), None) for k, f in enumerate(files)]
    frames = []
    for line in open(folder / "associations.txt"):
        if line.startswith("#") or not line.strip():
            continue
        stamp, rgb, _, depth_file = line.split()[:4]
        image = cv2.cvtColor(cv2.imread(str(folder / rgb)), cv2.COLOR_BGR2RGB)
        frames.append((float(stamp), image, read_depth(folder / depth_file, 5000.0) if depth else None))
        if len(frames) == max_frames:
            break
    return frames


def thread_cpu_s() -> dict:
    """CPU seconds (user + system) per (thread id, name) of this process."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[(task.name, f"{name} nice {fields[16]}")] = (int(fields[11]) + int(fields[12])) / tick
    return out


def stats(values) -> str:
    v = np.asarray(values)
    return f"mean {v.mean():6.1f} median {np.median(v):6.1f} p90 {np.percentile(v, 90):6.1f}"


def run(frames, config, camera, matcher, slam: bool, rate: float, metric: bool) -> None:
    tracker = Tracker(config, camera, matcher=matcher)
    backend = link = None
    if slam:
        backend = SlamBackend(SlamConfig(), matcher, camera.focal, metric, config.features)
        link = TrackerLink(tracker, backend, keep_frames=False)
        backend.start()
    cpu_before = thread_cpu_s()
    totals, walls = [], []
    start = time.perf_counter()
    for k, (stamp, image, depth) in enumerate(frames):
        if rate:
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        t0 = time.perf_counter()
        result = tracker.process(image, stamp, depth)
        if link is not None:
            link.observe(result)
        walls.append((time.perf_counter() - t0) * 1e3)
        totals.append(result.timings["total"])
    elapsed = time.perf_counter() - start
    line = f"{'slam' if slam else 'tracker':7s} frontend ms {stats(totals)} | wall ms {stats(walls)} | " \
        f"{len(frames) / elapsed:.2f} frames/s"
    if backend is not None:
        done, backlog = len(backend.stats.keyframe_ms), backend.backlog
        t0 = time.perf_counter()
        backend.wait()
        drain = time.perf_counter() - t0
        backend_tid = str(backend._thread.native_id)
        cpu_after = thread_cpu_s()   # before the backend's thread ends
        backend.stop()
        s = backend.stats
        line += f"\n        backend: {done} keyframes done at the last frame, backlog {backlog} (drained in " \
            f"{drain:.1f} s), ms per keyframe mean {np.mean(s.keyframe_ms or [0]):.0f}, loops accepted " \
            f"{s.accepted}, candidates verified {s.candidates}"
        if backend.error is not None:
            line += f", error: {backend.error!r}"
    else:
        backend_tid, cpu_after = None, thread_cpu_s()
    cpu = {key: value - cpu_before.get(key, 0.0) for key, value in cpu_after.items()}
    backend_cpu = sum(v for (tid, _), v in cpu.items() if tid == backend_tid)
    top = sorted(cpu.items(), key=lambda item: -item[1])[:4]
    line += f"\n        CPU s (frames and drain): all threads {sum(cpu.values()):.1f}, the backend thread itself " \
        f"{backend_cpu:.1f}; most: " + ", ".join(f"{tid} ({name}) {v:.1f}" for (tid, name), v in top)
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sequence", type=Path)
    parser.add_argument("--depth", action="store_true", help="TUM: RGB-D (the backend metric)")
    parser.add_argument("--max-frames", type=int, default=10 ** 9)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rate", type=float, default=0.0, help="frames per second (0: as fast as the frontend)")
    parser.add_argument("--config", help="VOConfig YAML (flat)")
    args = parser.parse_args()
    try:   # as SlamSide does (without threadpoolctl it leaves BLAS as it is)
        from threadpoolctl import threadpool_limits
        threadpool_limits(1, user_api="blas")
    except ImportError:
        pass
    config = VOConfig.from_dict(yaml.safe_load(open(args.config)) or {} if args.config else {})
    frames = load_frames(args.sequence, args.depth, args.max_frames)
    height, width = frames[0][1].shape[:2]
    camera = camera_from_values(open(args.sequence / "camera.txt").read().split(), width, height)
    matcher = FeatureMatcher.from_config(config)
    matcher.warmup((width, height))
    print(f"{args.sequence.name}: {len(frames)} frames {width}x{height}{' RGB-D' if args.depth else ''}, "
          f"{matcher.runtime()}, rate {args.rate or 'free'}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores; threads {threading.active_count()}", flush=True)
    for _ in range(args.repeats):
        for slam in (False, True):
            run(frames, config, camera, matcher, slam, args.rate, args.depth)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
