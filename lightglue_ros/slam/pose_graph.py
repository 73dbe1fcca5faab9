# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The pose graph: keyframe poses linked by odometry and loop edges, optimised by gtsam.

Monocular poses are similarities (`gtsam.Similarity3`): the odometry drifts in scale too, and a loop's measured
scale ratio pulls the whole loop back to one scale. Metric (RGB-D) poses are rigid (`gtsam.Pose3`). Nodes are
`S_world_keyframe` (`sim3.py`: x_world = s R x_keyframe + t); an edge measures `S_i^-1 S_j`. Odometry edges carry
sigmas that grow with the step. Loop edges are Gaussian too, and a loop is kept only if, after the optimisation,
its edges and the loops accepted before agree with the graph (`loop_errors`, checked by the backend, which then
removes the newcomer: RTAB-Map's check); `optimize(robust=True)` rather puts loop edges under a Huber kernel.
Robust kernels were measured here (test_slam_pose_graph's drifted circle): a true loop seen from the drifted graph
is tens of sigmas off, so Cauchy downweighs it and corrects 2.2 -> 1.9 m RMSE (plain: 0.14 m), and gtsam's GNC
(truncated least squares, the odometry known inliers) drops the three true loops with the one false one. The
loops reach the graph only after the backend's agreement and bound checks, so they are the first line; the graph's
check is the last. Each connected component is held by its fixed nodes (a loaded map's keyframes) or else by
its first node, so the optimisation only moves what drifted.

The graph is rebuilt for each optimisation (a few thousand nodes: fractions of a second, only when loops come).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Set

import numpy as np

from .sim3 import decompose, invert_sim3, make_sim3

FIXED_SIGMA = 1e-6
HUBER = 3.0              # sigmas: the Huber kernel's knee for loop edges with optimize(robust=True)


def to_gtsam(S: np.ndarray, metric: bool):
    import gtsam

    R, t, s = decompose(S)
    U, _, Vt = np.linalg.svd(R)
    R = U @ Vt
    if metric:
        return gtsam.Pose3(gtsam.Rot3(R), t)
    return gtsam.Similarity3(gtsam.Rot3(R), t / s, s)   # gtsam's similarity maps x to s (R x + t')


def from_gtsam(value, metric: bool) -> np.ndarray:
    if metric:
        return value.matrix()
    return make_sim3(value.rotation().matrix(), value.scale() * value.translation(), value.scale())


def local_error(measured: np.ndarray, S_i: np.ndarray, S_j: np.ndarray, metric: bool) -> np.ndarray:
    """The edge's error in gtsam's tangent space (rotation first), as BetweenFactor computes it."""
    import gtsam

    actual = to_gtsam(invert_sim3(S_i) @ S_j, metric)
    expected = to_gtsam(measured, metric)
    if metric:
        return gtsam.Pose3.Logmap(expected.between(actual))
    return gtsam.Similarity3.Logmap(expected.between(actual))


@dataclass(eq=False)   # edges are told apart by identity (their arrays have no truth value)
class Edge:
    i: int
    j: int
    S_ij: np.ndarray            # measured S_i^-1 S_j
    sigmas: np.ndarray          # 6 (metric) or 7 (rotation, translation, log scale)
    loop: Optional[int] = None  # the loop closure it belongs to; None for odometry
    covariance: Optional[np.ndarray] = None   # a full one (composed edges: `PoseGraph.remove_node`); else sigmas^2

    @classmethod
    def full(cls, i: int, j: int, S_ij: np.ndarray, covariance: np.ndarray, loop: Optional[int]) -> "Edge":
        covariance = (covariance + covariance.T) / 2
        return cls(i, j, S_ij, np.sqrt(np.diag(covariance)), loop, covariance)

    @property
    def cov(self) -> np.ndarray:
        return self.covariance if self.covariance is not None else np.diag(np.asarray(self.sigmas, float) ** 2)

    @property
    def robust(self) -> bool:
        return self.loop is not None


class PoseGraph:
    """Nodes (keyframe id -> S_world_keyframe), fixed nodes and edges; `optimize` moves the free nodes."""

    def __init__(self, metric: bool):
        self.metric = metric
        self.nodes: Dict[int, np.ndarray] = {}
        self.fixed: Set[int] = set()
        self.edges: List[Edge] = []
        self._at: Dict[int, List[Edge]] = {}     # node -> the edges at it (`remove_node` touches those alone)

    def add_node(self, key: int, S_world_keyframe: np.ndarray, fixed: bool = False) -> None:
        self.nodes[key] = np.array(S_world_keyframe, dtype=np.float64)
        if fixed:
            self.fixed.add(key)

    def add_edge(self, edge: Edge) -> None:
        if edge.i not in self.nodes or edge.j not in self.nodes:
            raise KeyError(f"edge {edge.i} -> {edge.j}: both nodes must be in the graph")
        self.edges.append(edge)
        for n in (edge.i, edge.j):
            self._at.setdefault(n, []).append(edge)

    def _unlink(self, edge: Edge, gone: Optional[int] = None) -> None:
        """Take an edge out of `edges` and the adjacency (of the node `gone` too, unless it is already out)."""
        self.edges.remove(edge)   # by identity (Edge has eq=False): a C scan, no Python loop
        for n in {edge.i, edge.j} - {gone}:
            self._at[n].remove(edge)

    def remove_loop(self, loop: int) -> None:
        for e in [e for e in self.edges if e.loop == loop]:
            self._unlink(e)

    def remove_node(self, key: int, into: int) -> None:
        """Drop a node, its edges rerouted to its neighbour `into` through their odometry edge's measurement.

        An edge k -> x becomes into -> x measuring S_into_k S_k_x (x -> k alike), its covariance propagated to first
        order (`compose`): a chain's odometry composes into one edge as the full chain would constrain the two ends,
        a loop edge moves to the neighbour. One ending between two nodes that already share an edge is fused with it
        (`fuse`), so the edges stay as bounded as the nodes.
        """
        incident = self._at.pop(key, [])
        link = next((e for e in incident if e.loop is None and into in (e.i, e.j)), None)
        if link is None:
            raise KeyError(f"node {key} has no odometry edge to {into}")
        to_key = (link.S_ij, link.cov) if link.i == into else invert(link.S_ij, link.cov, self.metric)
        moved = []
        for e in incident:
            self._unlink(e, key)
            if into in (e.i, e.j):   # the odometry link itself (or another edge between the two, marginalised away)
                continue
            if e.i == key:
                S, cov = compose(*to_key, e.S_ij, e.cov, self.metric)
                moved.append(Edge.full(into, e.j, S, cov, e.loop))
            else:
                S, cov = compose(e.S_ij, e.cov, *invert(*to_key, self.metric), self.metric)
                moved.append(Edge.full(e.i, into, S, cov, e.loop))
        between = {(e.i, e.j): e for e in self._at[into]}
        for e in moved:
            if (e.j, e.i) in between:
                e = Edge.full(e.j, e.i, *invert(e.S_ij, e.cov, self.metric), e.loop)
            if (e.i, e.j) in between:
                old = between[(e.i, e.j)]
                self._unlink(old)
                e = fuse(old, e, self.metric)
            self.add_edge(e)
            between[(e.i, e.j)] = e
        del self.nodes[key]
        self.fixed.discard(key)

    def components(self) -> Dict[int, int]:
        """Node key -> its component's smallest node key (union-find over the edges)."""
        parent = {n: n for n in self.nodes}

        def root(n):
            while parent[n] != n:
                parent[n] = parent[parent[n]]
                n = parent[n]
            return n
        for e in self.edges:
            a, b = root(e.i), root(e.j)
            if a != b:
                parent[max(a, b)] = min(a, b)
        return {n: root(n) for n in self.nodes}

    def optimize(self, iterations: int = 100, robust: bool = False) -> None:
        """Optimise every node; each component is held by its fixed nodes or, if it has none, its first node."""
        import gtsam

        graph, values = gtsam.NonlinearFactorGraph(), gtsam.Values()
        dim = 6 if self.metric else 7
        Between = gtsam.BetweenFactorPose3 if self.metric else gtsam.BetweenFactorSimilarity3
        Prior = gtsam.PriorFactorPose3 if self.metric else gtsam.PriorFactorSimilarity3
        for n, S in self.nodes.items():
            values.insert(n, to_gtsam(S, self.metric))
        component = self.components()
        held = {component[n] for n in self.fixed}
        anchors = set(self.fixed) | {c for c in set(component.values()) if c not in held}
        fixed_noise = gtsam.noiseModel.Isotropic.Sigma(dim, FIXED_SIGMA)
        for n in anchors:
            graph.add(Prior(n, to_gtsam(self.nodes[n], self.metric), fixed_noise))
        for e in self.edges:
            noise = gtsam.noiseModel.Diagonal.Sigmas(np.asarray(e.sigmas, dtype=np.float64)) \
                if e.covariance is None else gtsam.noiseModel.Gaussian.Covariance(e.covariance)
            if e.robust and robust:
                noise = gtsam.noiseModel.Robust.Create(gtsam.noiseModel.mEstimator.Huber.Create(HUBER), noise)
            graph.add(Between(e.i, e.j, to_gtsam(e.S_ij, self.metric), noise))
        params = gtsam.LevenbergMarquardtParams()
        params.setMaxIterations(iterations)
        result = gtsam.LevenbergMarquardtOptimizer(graph, values, params).optimize()
        get = result.atPose3 if self.metric else result.atSimilarity3
        for n in self.nodes:
            self.nodes[n] = from_gtsam(get(n), self.metric)

    def edge_error(self, edge: Edge) -> float:
        """The edge's largest whitened error (sigmas) at the current estimate, no kernel applied."""
        error = local_error(edge.S_ij, self.nodes[edge.i], self.nodes[edge.j], self.metric)
        if edge.covariance is None:
            return float(np.max(np.abs(error / edge.sigmas)))
        return float(np.max(np.abs(np.linalg.solve(np.linalg.cholesky(edge.covariance), error))))

    def loop_errors(self, loop: int) -> List[float]:
        return [self.edge_error(e) for e in self.edges if e.loop == loop]

    def snapshot(self) -> Dict[int, np.ndarray]:
        return {n: S.copy() for n, S in self.nodes.items()}

    def restore(self, nodes: Dict[int, np.ndarray]) -> None:
        self.nodes.update({n: S.copy() for n, S in nodes.items()})


def _group(metric: bool):
    import gtsam

    return gtsam.Pose3 if metric else gtsam.Similarity3


def invert(S: np.ndarray, cov: np.ndarray, metric: bool):
    """(S^-1, its covariance): S = S' Exp(e) makes S^-1 = S'^-1 Exp(-Ad(S') e)."""
    Ad = to_gtsam(S, metric).AdjointMap()
    return invert_sim3(S), Ad @ cov @ Ad.T


def compose(S_a: np.ndarray, cov_a: np.ndarray, S_b: np.ndarray, cov_b: np.ndarray, metric: bool):
    """(S_a S_b, its covariance), both errors on the right as gtsam's BetweenFactor has them."""
    Ad = to_gtsam(invert_sim3(S_b), metric).AdjointMap()
    return S_a @ S_b, Ad @ cov_a @ Ad.T + cov_b


def fuse(a: Edge, b: Edge, metric: bool) -> Edge:
    """Two measurements of one edge (i -> j) as one: the information-weighted mean in a's tangent space."""
    delta = local_error(a.S_ij, np.eye(4), b.S_ij, metric)           # b in a's tangent space
    info_a, info_b = np.linalg.inv(a.cov), np.linalg.inv(b.cov)
    cov = np.linalg.inv(info_a + info_b)
    S = from_gtsam(to_gtsam(a.S_ij, metric).compose(_group(metric).Expmap(cov @ info_b @ delta)), metric)
    return Edge.full(a.i, a.j, S, cov, a.loop if a.loop is not None else b.loop)


def odometry_sigmas(step: np.ndarray, depth_unit: float, metric: bool, rotation_deg: float, translation: float,
                    scale: float) -> np.ndarray:
    """An odometry edge's sigmas: rotation per step, translation proportional to the step (plus 1 % of the depth)."""
    length = float(np.linalg.norm(step[:3, 3]))
    t = translation * length + 0.01 * depth_unit
    sigmas = [np.radians(rotation_deg)] * 3 + [max(t, 1e-6)] * 3
    return np.array(sigmas if metric else sigmas + [scale])


def loop_sigmas(depth_unit: float, metric: bool, rotation_deg: float, translation: float,
                scale: float) -> np.ndarray:
    sigmas = [np.radians(rotation_deg)] * 3 + [max(translation * depth_unit, 1e-6)] * 3
    return np.array(sigmas if metric else sigmas + [scale])
