# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The pose graph (gtsam): a drifted loop pulled back by its loop edges, an outlier edge kept from bending it."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lightglue_ros.slam.pose_graph import Edge, PoseGraph, loop_sigmas, odometry_sigmas
from lightglue_ros.slam.sim3 import invert_sim3, make_sim3, scale_of

N = 40                      # keyframes round a circle of radius 5
RADIUS = 5.0


def circle():
    """World-from-camera poses round a circle, looking along it (camera z forward, y down)."""
    poses = []
    for k in range(N):
        a = 2 * np.pi * k / N
        R = Rotation.from_euler("y", -a).as_matrix()
        poses.append(make_sim3(R, [RADIUS * np.sin(a), 0.0, RADIUS * (1 - np.cos(a))]))
    return poses


def drifted_graph(truth, metric, rng):
    """Odometry chained from noisy steps that drift in yaw (and, monocular, in scale)."""
    graph = PoseGraph(metric)
    graph.add_node(0, truth[0])
    S = truth[0]
    for k in range(1, N):
        step = invert_sim3(truth[k - 1]) @ truth[k]
        drift = make_sim3(Rotation.from_euler("y", 0.6, degrees=True).as_matrix(),
                          rng.normal(0, 0.01, 3), 1.0 if metric else 1.01)
        measured = step @ drift
        measured[:3, 3] *= 1.0 if metric else 1.01 ** k     # the running scale grows along the loop
        measured = make_sim3(measured[:3, :3] / scale_of(measured), measured[:3, 3])
        S = S @ measured
        graph.add_node(k, S)
        graph.add_edge(Edge(k - 1, k, measured, odometry_sigmas(measured, 5.0, metric, 0.5, 0.05, 0.02)))
    return graph


def position_error(graph, truth):
    return float(np.sqrt(np.mean([np.sum((graph.nodes[k][:3, 3] - truth[k][:3, 3]) ** 2) for k in range(N)])))


def loop_edge(truth, i, j, metric, loop):
    """What a verified loop measures: the true relative pose, and (monocular) the ratio of the two keyframes' units.

    Keyframe k's odometry measures lengths 1.01^k too long (`drifted_graph`): one of its units is 1.01^-k metres.
    """
    def node(k):
        S = truth[k].copy()
        S[:3, :3] *= 1.0 if metric else 1.01 ** -k
        return S
    return Edge(i, j, invert_sim3(node(i)) @ node(j), loop_sigmas(5.0, metric, 1.0, 0.03, 0.03), loop)


@pytest.mark.parametrize("metric", [False, True], ids=["sim3", "se3"])
def test_loop_edges_correct_the_drift(metric):
    truth = circle()
    graph = drifted_graph(truth, metric, np.random.default_rng(0))
    before = position_error(graph, truth)
    for loop, (i, j) in enumerate([(0, N - 1), (1, N - 2), (2, N - 3)]):
        graph.add_edge(loop_edge(truth, i, j, metric, loop))
    graph.optimize()
    after = position_error(graph, truth)
    assert before > 1.0, f"the test's drift is too small to show a correction ({before:.2f} m)"
    assert after < before / 5, f"position RMSE {before:.3f} -> {after:.3f} m"
    assert max(graph.loop_errors(0)) < 3.0
    np.testing.assert_allclose(graph.nodes[0], truth[0], atol=1e-5)   # the first keyframe holds the gauge


@pytest.mark.parametrize("metric", [False, True], ids=["sim3", "se3"])
def test_an_outlier_edge_stands_out_and_its_removal_restores_the_graph(metric):
    """What the backend does with a loop: optimise with it, check the loops' errors, remove it if they are off."""
    truth = circle()
    graph = drifted_graph(truth, metric, np.random.default_rng(1))
    for loop, (i, j) in enumerate([(0, N - 1), (1, N - 2), (2, N - 3)]):
        graph.add_edge(loop_edge(truth, i, j, metric, loop))
    graph.optimize()
    good = position_error(graph, truth)
    assert max(graph.loop_errors(0)) < 3.0
    before = graph.snapshot()
    # A false loop: keyframe 10 claimed to be where keyframe 30 is (the other side of the circle).
    graph.add_edge(Edge(10, 30, np.eye(4), loop_sigmas(5.0, metric, 1.0, 0.03, 0.03), 99))
    graph.optimize()
    assert max(graph.loop_errors(99)) > 10, "the false loop does not stand out"
    assert max(graph.loop_errors(0)) > 3.0, "the true loops do not show the conflict"
    graph.remove_loop(99)
    graph.restore(before)
    graph.optimize()
    assert all(e.loop != 99 for e in graph.edges)
    assert position_error(graph, truth) == pytest.approx(good, abs=1e-3)


def test_huber_kernel_under_corrects_a_true_loop():
    """Why loop edges are not under a robust kernel by default (see pose_graph's docstring)."""
    truth = circle()
    plain, robust = (drifted_graph(truth, False, np.random.default_rng(0)) for _ in range(2))
    for graph in (plain, robust):
        for loop, (i, j) in enumerate([(0, N - 1), (1, N - 2), (2, N - 3)]):
            graph.add_edge(loop_edge(truth, i, j, False, loop))
    plain.optimize()
    robust.optimize(robust=True)
    assert position_error(plain, truth) < position_error(robust, truth)


def test_fixed_nodes_hold_a_component_and_others_hold_their_first():
    truth = circle()
    graph = PoseGraph(metric=True)
    for k in range(4):
        graph.add_node(k, truth[k], fixed=k < 2)
    graph.add_edge(Edge(0, 1, invert_sim3(truth[0]) @ truth[1], np.full(6, 0.01)))
    graph.add_edge(Edge(2, 3, np.eye(4), np.full(6, 0.01)))      # a second component, held by node 2
    graph.optimize()
    np.testing.assert_allclose(graph.nodes[1], truth[1], atol=1e-5)
    np.testing.assert_allclose(graph.nodes[2], truth[2], atol=1e-5)
    np.testing.assert_allclose(graph.nodes[3], truth[2], atol=1e-4)
