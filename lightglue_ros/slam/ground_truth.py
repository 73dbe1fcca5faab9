# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The map's loops checked against ground truth (offline runs with `--gt`): a false loop is seen, not guessed.

A loop edge measures the similarity between two keyframes. Against the true poses at the keyframes' stamps it is
scored by what does not depend on how the ground truth's body frame sits on the camera: the distance between the
two camera centres (in metres: the edge's translation times the first keyframe's scale in the map, times the map's
scale against the ground truth, a Sim(3) fit of the keyframes' positions when monocular) and the rotation angle
between the two views. A loop is false when one of its edges is off by more than FALSE_ROTATION_DEG, or by more
than FALSE_DEPTH_SHARE of the keyframe's median scene depth (the scale the backend's own tolerances use): a
look-alike place elsewhere is off by the distance to it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import numpy as np

from .sim3 import decompose, rotation_deg

FALSE_ROTATION_DEG = 5.0
FALSE_DEPTH_SHARE = 0.5


@dataclass
class LoopTruth:
    loops: int                  # loops with an edge whose two keyframes have a true pose
    edges: int
    false: int                  # loops off by more than the tolerances (module docstring)
    rotation_error_deg: np.ndarray     # per edge: |angle measured - angle true|
    distance_error_m: np.ndarray       # per edge: |distance measured - distance true|
    distance_m: np.ndarray             # per edge: the true distance between the two keyframes

    def summary(self) -> str:
        if not self.edges:
            return "loops against ground truth: none to check (no loop edge with both keyframes in the ground truth)"

        def worst(values, unit, digits=3):
            return f"median {np.median(values):.{digits}f} max {values.max():.{digits}f} {unit}"
        return (f"loops against ground truth: {self.loops} loops ({self.edges} edges), false {self.false} (off by "
                f"> {FALSE_ROTATION_DEG:g} deg or > {FALSE_DEPTH_SHARE:g} x the scene depth); error of the measured "
                f"rotation {worst(self.rotation_error_deg, 'deg', 2)}, distance {worst(self.distance_error_m, 'm')}; "
                f"keyframes apart {worst(self.distance_m, 'm')}")


def _true_poses(backend, truth_stamps, truth_poses, max_time_diff: float) -> Dict[int, np.ndarray]:
    """Keyframe id -> T_world_camera of the ground truth's nearest stamp (within max_time_diff)."""
    stamps = np.asarray(truth_stamps, dtype=np.float64)
    out = {}
    for key in backend.graph.nodes:
        if key in backend.database:
            offsets = np.abs(stamps - backend.database[key].stamp)
            k = int(np.argmin(offsets))
            if offsets[k] <= max_time_diff:
                out[key] = truth_poses[k]
    return out


def _map_scale(backend, true: Dict[int, np.ndarray]) -> float:
    """Metres per map unit: 1 when metric, else the scale of the Sim(3) fit of the keyframes' positions."""
    if backend.metric or len(true) < 3:
        return 1.0
    from evo.core.geometry import umeyama_alignment

    keys = sorted(true)
    estimate = np.array([backend.graph.nodes[k][:3, 3] for k in keys]).T
    truth = np.array([true[k][:3, 3] for k in keys]).T
    if np.ptp(estimate, axis=1).max() < 1e-12:
        return 1.0
    return float(umeyama_alignment(estimate, truth, with_scale=True)[2])


def loops_against_truth(backend, truth_stamps, truth_poses, max_time_diff: float = 0.02) -> LoopTruth:
    """Every loop edge of the backend's pose graph scored against the true poses (module docstring)."""
    true = _true_poses(backend, truth_stamps, truth_poses, max_time_diff)
    scale = _map_scale(backend, true)
    rotation, distance, apart, bad, loops = [], [], [], set(), set()
    for edge in backend.graph.edges:
        if edge.loop is None or edge.i not in true or edge.j not in true:
            continue
        T_ij = np.linalg.inv(true[edge.i]) @ true[edge.j]
        R, t, _ = decompose(edge.S_ij)
        metres = scale * decompose(backend.graph.nodes[edge.i])[2]
        rotation.append(abs(rotation_deg(R) - rotation_deg(T_ij[:3, :3])))
        apart.append(float(np.linalg.norm(T_ij[:3, 3])))
        distance.append(abs(metres * float(np.linalg.norm(t)) - apart[-1]))
        depth = metres * backend.database[edge.i].median_depth
        loops.add(edge.loop)
        if rotation[-1] > FALSE_ROTATION_DEG or not distance[-1] <= FALSE_DEPTH_SHARE * depth:
            bad.add(edge.loop)
    return LoopTruth(len(loops), len(rotation), len(bad), np.array(rotation), np.array(distance), np.array(apart))
