# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The map's bound: redundant keyframes dropped, a hard cap, the graph still connected and optimised alike."""
import numpy as np
import pytest

from lightglue_ros.slam import SlamBackend, SlamConfig
from lightglue_ros.slam.database import KeyframeRecord
from lightglue_ros.slam.pose_graph import Edge, PoseGraph, loop_sigmas
from lightglue_ros.slam.sim3 import invert_sim3

# Never a loop candidate (no matcher: the loop edge is added by hand); a small vocabulary.
SMALL = dict(exclude_recent_keyframes=100000, vocabulary_clusters=8, vocabulary_keyframes=4)
RADIUS = 6.0


def yaw(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def circle(backend, count, seed=0, laps=1.0):
    """Keyframes around a circle, looking ahead, at points 4-6 away; the odometry drifts 0.3 degrees per step.

    Returns the true poses by id.
    """
    rng = np.random.default_rng(seed)
    truth, odometry = {}, np.eye(4)
    previous = None
    for k in range(count):
        angle = 2 * np.pi * laps * k / count
        T = np.eye(4)
        T[:3, :3] = yaw(angle)
        T[:3, 3] = [RADIUS * (1 - np.cos(angle)), 0.0, RADIUS * np.sin(angle)]
        if previous is not None:
            drift = np.eye(4)
            drift[:3, :3] = yaw(np.radians(0.3))
            odometry = odometry @ invert_sim3(previous) @ T @ drift
        previous = T
        n = 150
        normalized = rng.uniform(-0.3, 0.3, (n, 2))
        depth = rng.uniform(4, 6, (n, 1))
        keypoints = 500 * normalized + [160, 120]
        key = backend.new_id()
        truth[key] = T
        backend.add_keyframe(KeyframeRecord.from_arrays(
            key, backend.session, 0.5 * k, odometry, keypoints, normalized, rng.normal(size=(n, 128)),
            np.hstack([normalized * depth, depth]), (320, 240), False, 512))
    return truth


def close_loop(backend, truth):
    """The loop edge from the first keyframe to the last, measured true, and the optimisation."""
    db, graph = backend.database, backend.graph
    first, last = db.order[0], db.order[-1]
    graph.add_edge(Edge(first, last, invert_sim3(truth[first]) @ truth[last],
                        loop_sigmas(5.0, False, 1.0, 0.03, 0.03), 0))
    graph.optimize()
    backend._publish(db.order)


@pytest.mark.parametrize("history", [True, False])
def test_the_cap_holds_and_the_graph_stays_one_chain(history):
    config = SlamConfig(max_map_keyframes=30, cull_coverage=1.0, **SMALL)   # the cap alone
    backend = SlamBackend(config, None, 500.0, False, "aliked")
    backend.history = history   # False: a node's (TrackerLink keep_frames=False), which asks no dropped keyframe
    truth = circle(backend, 200, laps=2.0)
    db, graph = backend.database, backend.graph
    assert len(db) == len(backend.index.ids) == len(graph.nodes) == 30
    assert len(graph.edges) == 29, "the odometry chain composed into one edge per kept pair"
    assert len(set(graph.components().values())) == 1
    assert backend.stats.culled == 170 and db.order[0] == 0 and db.order[-1] == 199
    # Thinned out evenly, not forgetting one end: the kept keyframes span the run, no gap much over the mean.
    stamps = np.array([db[key].stamp for key in db.order])
    assert np.max(np.diff(stamps)) < 3 * (stamps[-1] - stamps[0]) / 29
    np.testing.assert_array_equal(np.sort(backend.index.ids), np.sort(db.order))
    for key in truth:   # with history every keyframe, kept or dropped, has its correction (no loop: the identity)
        if history or key in db:
            np.testing.assert_allclose(backend.correction(key), np.eye(4), atol=1e-9)
        else:
            assert backend.correction(key) is None


def test_culled_graph_optimises_as_the_full_one_and_round_trips(tmp_path):
    full = SlamBackend(SlamConfig(cull_coverage=1.0, **SMALL), None, 500.0, False, "aliked")
    pruned = SlamBackend(SlamConfig(cull_coverage=0.5, **SMALL), None, 500.0, False, "aliked")
    truth = circle(full, 240)
    circle(pruned, 240)
    assert len(full.database) == 240 and 20 < len(pruned.database) < 200, len(pruned.database)
    for backend in (full, pruned):
        close_loop(backend, truth)
        assert len(set(backend.graph.components().values())) == 1

    def error(backend, key):   # the corrected pose's position against the truth
        T = backend.corrected_pose(key, full.database[key].T_world_camera)
        return np.linalg.norm(T[:3, 3] - truth[key][:3, 3])

    drift = max(np.linalg.norm(full.database[k].T_world_camera[:3, 3] - truth[k][:3, 3]) for k in truth)
    full_error = max(error(full, k) for k in truth)
    pruned_error = max(error(pruned, k) for k in truth)   # dropped keyframes through the one they follow
    assert drift > 2.0 and full_error < 0.1 * drift, (drift, full_error)
    # The composed edges' covariances are propagated, not just their sigmas added: that left 0.16 m of 6 m here.
    assert abs(pruned_error - full_error) < 0.005 * drift, (pruned_error, full_error)
    for key in pruned.database.order:
        np.testing.assert_allclose(pruned.graph.nodes[key][:3, 3], full.graph.nodes[key][:3, 3], atol=0.005 * drift)

    pruned.save(tmp_path / "pruned.lgrmap")
    # The map's keyframes are candidates of the new session: none similar enough to verify (no matcher).
    quiet = SlamConfig(cull_coverage=0.5, min_similarity=1.0, **SMALL)
    loaded = SlamBackend(quiet, None, 500.0, False, "aliked")
    loaded.load(tmp_path / "pruned.lgrmap")
    assert loaded.database.order == pruned.database.order
    assert sorted(loaded.index.ids) == sorted(pruned.index.ids)
    assert len(loaded.graph.edges) == len(pruned.graph.edges) and loaded.stats.culled == 0
    for key in pruned.database.order:
        np.testing.assert_allclose(loaded.graph.nodes[key], pruned.graph.nodes[key], atol=1e-9)
    circle(loaded, 40, seed=1, laps=40 / 240)   # a new session: its own keyframes are dropped, the map's kept
    assert set(pruned.database.order) <= set(loaded.database.order) and loaded.stats.culled > 0


@pytest.mark.parametrize("metric", [False, True])
def test_a_removed_node_marginalises_its_edges_and_parallel_ones_are_fused(metric):
    """Node 2 of a chain 0-4 with loops 0-2 and 0-3, removed into 3: its loop moves onto 0-3, fused with that one.

    The reduced graph optimises its nodes about as the full one does: 3 mm apart here, with 1 cm of noise on each
    edge, as the two edges composed through the removed 2 -> 3 both carry its error and count as independent (an exact
    marginalisation would make one factor of 0, 1 and 3).
    """
    rng = np.random.default_rng(4)
    truth = []
    for k in range(5):
        T = np.eye(4)
        T[:3, :3] = yaw(0.2 * k)
        T[:3, 3] = [k, 0.1 * k ** 2, 0.0]
        truth.append(T)

    def noisy(i, j):
        S = invert_sim3(truth[i]) @ truth[j]
        step = np.eye(4)
        step[:3, :3] = yaw(rng.normal(0, 0.01))
        step[:3, 3] = rng.normal(0, 0.01, 3)
        return S @ step

    sigmas = np.array([0.01] * 6 + ([] if metric else [0.01]))
    graphs = [PoseGraph(metric), PoseGraph(metric)]
    measured = [(i, i + 1, noisy(i, i + 1), None) for i in range(4)] + [(0, 2, noisy(0, 2), 0), (0, 3, noisy(0, 3), 1)]
    for graph in graphs:
        for k, T in enumerate(truth):
            graph.add_node(k, T, fixed=k == 0)
        for i, j, S, loop in measured:
            graph.add_edge(Edge(i, j, S, sigmas, loop))
    full, reduced = graphs
    reduced.remove_node(2, 3)
    assert sorted((e.i, e.j) for e in reduced.edges) == [(0, 1), (0, 3), (1, 3), (3, 4)]
    fused = next(e for e in reduced.edges if e.loop is not None)
    assert fused.loop == 1 and np.all(np.diag(fused.cov) < 0.9 * sigmas ** 2), "the loop at 2 adds to it"
    full.optimize()
    reduced.optimize()
    for k in (1, 3, 4):
        np.testing.assert_allclose(reduced.nodes[k], full.nodes[k], atol=0.005)


def test_a_backend_behind_maps_the_queued_keyframes_without_looking_them_up():
    """Threaded, keyframes queued beyond `max_backlog_keyframes` (its default) skip the loop lookup but join the map."""
    backend = SlamBackend(SlamConfig(**SMALL, cull_coverage=1.0), None, 500.0, False, "aliked")
    bound = backend.config.max_backlog_keyframes
    backend.start()
    count = bound + 10
    with backend._lock:   # the worker waits at its first keyframe until all are queued: count - 1 are behind it
        circle(backend, count)
    backend.wait()
    backend.stop()
    assert backend.error is None
    # Keyframe k is processed with count - 1 - k still queued: those with more than `bound` behind are not looked up.
    assert backend.stats.not_looked_up == count - 1 - bound
    assert len(backend.database) == count and len(backend.graph.edges) == count - 1
