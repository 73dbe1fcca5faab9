# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The backend's bookkeeping without images: the worker thread, the drift bound, the agreement of consecutive loops."""
import os
import threading

import numpy as np

from conftest import tum_rpy_frames
from lightglue_ros.slam import SlamBackend, SlamConfig
from lightglue_ros.slam.backend import Detection
from lightglue_ros.slam.database import KeyframeRecord
from lightglue_ros.slam.sim3 import make_sim3
from lightglue_ros.slam.verification import LoopMeasurement

# Keyframes 1 m apart along x; never a candidate (nothing to verify, so no matcher).
CONFIG = SlamConfig(exclude_recent_keyframes=100000, vocabulary_clusters=8, vocabulary_keyframes=4)


def records(backend, count, rng):
    for k in range(count):
        n = 150
        descriptors = rng.normal(size=(n, 128)).astype(np.float32)
        points = rng.uniform(-2, 2, (n, 3)) + [0, 0, 5]
        T = np.eye(4)
        T[0, 3] = float(k)
        keypoints = rng.uniform(0, 320, (n, 2))
        yield KeyframeRecord.from_arrays(backend.new_id(), backend.session, float(k), T, keypoints,
                                         (keypoints - 160) / 500, descriptors, points, (320, 240), False, 512)


def test_worker_thread_processes_everything_queued():
    backend = SlamBackend(CONFIG, None, 500.0, False, "aliked")
    backend.start()
    for record in records(backend, 30, np.random.default_rng(0)):
        backend.add_keyframe(record)   # returns at once; the worker does the work
    backend.wait()
    backend.stop()
    assert backend.error is None
    assert len(backend.database) == 30 and backend.index.trained and len(backend.index.ids) == 30
    for key in backend.database.order:   # no loop: the corrections are the identity
        np.testing.assert_allclose(backend.correction(key), np.eye(4), atol=1e-9)


def test_worker_thread_is_niced_and_matches_on_sessions_of_its_own(data_dir):
    """The frontend's time: the thread at the lowest priority, its LightGlue on one thread of its own, same matches."""
    from lightglue_ros.models.matching import FeatureMatcher

    matcher = FeatureMatcher(max_keypoints=256, resize=None, device="cpu", backend="onnxruntime")
    backend = SlamBackend(CONFIG, matcher, 500.0, False, "aliked")
    backend.start()
    backend.add_keyframe(next(records(backend, 1, np.random.default_rng(0))))
    backend.wait()
    assert os.getpriority(os.PRIO_PROCESS, backend._thread.native_id) == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == 0   # the caller's (the frontend's) untouched
    backend.stop()
    worker = backend.verifier.matcher
    assert worker is not matcher and worker.lightglue is not matcher.lightglue
    frames, _ = tum_rpy_frames(data_dir, 2)
    features = [matcher.extract(image) for _, image, _ in frames]
    ours = matcher.match(*(matcher.encode(f) for f in features))
    theirs = worker.match(*(worker.encode(f) for f in features))
    np.testing.assert_array_equal(theirs.matches, ours.matches)
    assert len(ours.matches) > 50
    assert worker.lightglue.graphs and not set(map(id, worker.lightglue.graphs.values())) & \
        set(map(id, matcher.lightglue.graphs.values()))
    for graph in worker.lightglue.graphs.values():
        assert graph.session.get_session_options().intra_op_num_threads == 1


def detection(backend, query, candidate, shift, scale=1.0):
    """A verified loop whose correction moves the query by `shift` metres along y (and scales by `scale`)."""
    correction = make_sim3(np.eye(3), [0.0, shift, 0.0], scale)
    return Detection(LoopMeasurement(query, candidate, np.eye(4), 100, 100, 0.5), correction, 5.0)


def test_drift_bound_and_agreement():
    backend = SlamBackend(CONFIG, None, 500.0, False, "aliked")
    for record in records(backend, 30, np.random.default_rng(1)):
        backend.add_keyframe(record)
    db = backend.database
    query, candidate = db[29], db[9]      # 20 m apart along the path: the bound is 0.2 * 20 + 0.15 * 5 m
    assert backend._bounded(query, detection(backend, 29, 9, 4.0)) == ""
    assert "drift bound" in backend._bounded(query, detection(backend, 29, 9, 5.0))
    assert "drift bound" in backend._bounded(query, detection(backend, 29, 27, 1.5)), "2 m of path: 1.5 m is too much"
    rotated = detection(backend, 29, 9, 0.0)
    rotated.correction = make_sim3(np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]]), np.zeros(3))
    assert "deg" in backend._bounded(query, rotated)
    position = backend.graph.nodes[29][:3, 3]
    assert backend._agree(detection(backend, 29, 9, 1.0), detection(backend, 28, 8, 1.5), position)
    assert not backend._agree(detection(backend, 29, 9, 1.0), detection(backend, 28, 8, 2.0), position)
    # Monocular: the scales too (the query at the origin of its correction, so only the scale differs).
    origin = np.zeros(3)
    assert backend._agree(detection(backend, 29, 9, 0.0, 1.03), detection(backend, 28, 8, 0.0, 1.0), origin)
    assert not backend._agree(detection(backend, 29, 9, 0.0, 1.19), detection(backend, 28, 8, 0.0, 1.0), origin)
    assert candidate.session == query.session == 0


def test_candidates_are_old_keyframes_of_the_session_or_keyframes_of_the_map(tmp_path):
    backend = SlamBackend(CONFIG, None, 500.0, False, "aliked")
    for record in records(backend, 20, np.random.default_rng(2)):
        backend.add_keyframe(record)
    backend.config = SlamConfig(exclude_recent_keyframes=5, exclude_recent_s=0.0)
    allowed = backend._allowed(backend.database[19])
    assert list(np.flatnonzero(allowed)) == list(range(15))
    backend.config = SlamConfig(exclude_recent_keyframes=5, exclude_recent_s=10.0)   # stamps are 1 s apart
    assert list(np.flatnonzero(backend._allowed(backend.database[19]))) == list(range(10))
    backend.save(tmp_path / "map.lgrmap")
    quiet = SlamConfig(exclude_recent_keyframes=100000, vocabulary_clusters=8, vocabulary_keyframes=4,
                       min_similarity=1.0)   # the map's keyframes are candidates: none similar enough to verify
    loaded = SlamBackend(quiet, None, 500.0, False, "aliked")
    loaded.load(tmp_path / "map.lgrmap")
    for record in records(loaded, 6, np.random.default_rng(3)):
        loaded.add_keyframe(record)
    loaded.config = SlamConfig(exclude_recent_keyframes=5, exclude_recent_s=0.0)
    # A session not yet localised: only the map's keyframes, however recent the session's own.
    assert list(np.flatnonzero(loaded._allowed(loaded.database[25]))) == list(range(20))
