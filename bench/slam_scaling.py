# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The SLAM backend over thousands of keyframes: time per keyframe, memory, and one loop's optimisation.

    .venv/bin/python bench/slam_scaling.py [--keyframes 3000] [--keypoints 512] [--every 500]
        [--max-map-keyframes N] [--cull-coverage C]

Keyframes with ALIKED-sized random descriptors and points go through the backend as a tracker's would (database,
VLAD index, pose-graph node and odometry edge, candidate search); none is old enough to be verified, so the numbers
are the backend's bookkeeping, not LightGlue's matching (which costs `candidates` matches per keyframe, a
constant). Then one loop edge from the last keyframe to the first and the optimisation of the whole graph.
Printed per block: ms per keyframe, the database's and the index's bytes per keyframe kept, the keyframes kept
(the map's bound: `SlamConfig.max_map_keyframes`, `cull_coverage`; the keyframes here step 0.1 units past points 3-7
away, so at the default coverage nearly all are redundant: `--cull-coverage 1` measures the cap alone), the pose
graph's nodes and edges, the process's RSS.
"""
import argparse
import resource
import time

import numpy as np

from lightglue_ros.slam import SlamBackend, SlamConfig
from lightglue_ros.slam.database import KeyframeRecord
from lightglue_ros.slam.pose_graph import Edge, loop_sigmas
from lightglue_ros.slam.sim3 import invert_sim3


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keyframes", type=int, default=3000)
    parser.add_argument("--keypoints", type=int, default=512)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--max-map-keyframes", type=int, default=SlamConfig.max_map_keyframes)
    parser.add_argument("--cull-coverage", type=float, default=SlamConfig.cull_coverage)
    args = parser.parse_args()
    config = SlamConfig(exclude_recent_keyframes=10 ** 5, max_map_keyframes=args.max_map_keyframes,
                        cull_coverage=args.cull_coverage)
    backend = SlamBackend(config, None, 500.0, False, "aliked")
    rng = np.random.default_rng(0)
    n = args.keypoints
    print(f"RSS before: {rss_mib():.0f} MiB")
    start = time.perf_counter()
    for k in range(args.keyframes):
        descriptors = rng.normal(size=(n, 128)).astype(np.float32)
        descriptors /= np.linalg.norm(descriptors, axis=1, keepdims=True)
        angle = 2 * np.pi * k / args.keyframes
        T = np.eye(4)
        T[:3, 3] = [50 * np.sin(angle), 0.0, 50 * (1 - np.cos(angle))]
        keypoints = rng.uniform(0, 640, (n, 2))
        backend.add_keyframe(KeyframeRecord.from_arrays(
            backend.new_id(), 0, 0.1 * k, T, keypoints, (keypoints - 320) / 500, descriptors,
            rng.uniform(-2, 2, (n, 3)) + [0, 0, 5], (640, 480), False, config.max_keypoints_per_keyframe))
        if (k + 1) % args.every == 0:
            ms = backend.stats.keyframe_ms[-args.every:]
            db = backend.database
            print(f"{k + 1} keyframes: {np.mean(ms):.2f} ms per keyframe (max {np.max(ms):.1f}), database "
                  f"{db.nbytes / len(db) / 1024:.1f} KiB per keyframe, index "
                  f"{backend.index.nbytes / len(db) / 1024:.1f} KiB per keyframe, {len(db)} kept, graph "
                  f"{len(backend.graph.nodes)} nodes {len(backend.graph.edges)} edges, RSS {rss_mib():.0f} MiB")
    total = time.perf_counter() - start
    first, last = backend.database.order[0], backend.database.order[-1]
    graph = backend.graph
    graph.add_edge(Edge(first, last, invert_sim3(graph.nodes[first]) @ graph.nodes[last],
                        loop_sigmas(5.0, False, 1.0, 0.03, 0.03), 0))
    start = time.perf_counter()
    graph.optimize()
    print(f"{args.keyframes} keyframes in {total:.1f} s; one loop's optimisation over {len(graph.nodes)} nodes: "
          f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
