# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Maps on disk: a round trip keeps everything; truncated, corrupt, foreign or mismatched files are refused with why."""
import numpy as np
import pytest

from conftest import DATA
from lightglue_ros.slam import SlamBackend, SlamConfig
from lightglue_ros.slam.database import KeyframeRecord
from lightglue_ros.slam.map_file import HEADER, MapFileError, read

KEYFRAMES = 12
# No candidate is ever old enough: the backend builds its map without verifying (no matcher is needed).
CONFIG = SlamConfig(exclude_recent_keyframes=100000, vocabulary_clusters=8, vocabulary_keyframes=4)


def backend_with_map(metric=False, features="aliked"):
    rng = np.random.default_rng(0)
    backend = SlamBackend(CONFIG, None, 500.0, metric, features)
    for k in range(KEYFRAMES):
        n = 200 + k
        descriptors = rng.normal(size=(n, 128)).astype(np.float32)
        descriptors /= np.linalg.norm(descriptors, axis=1, keepdims=True)
        points = rng.uniform(-2, 2, (n, 3)) + [0, 0, 5]
        points[::3] = np.nan
        T = np.eye(4)
        T[:3, 3] = [0.3 * k, 0.0, 0.1 * k]
        keypoints = rng.uniform(0, 320, (n, 2))
        backend.add_keyframe(KeyframeRecord.from_arrays(backend.new_id(), 0, 0.1 * k, T, keypoints,
                                                        (keypoints - 160) / 500, descriptors, points, (320, 240),
                                                        metric, CONFIG.max_keypoints_per_keyframe))
    return backend


def test_round_trip(tmp_path):
    saved = backend_with_map()
    path = tmp_path / "map.lgrmap"
    size = saved.save(path)
    assert size == path.stat().st_size
    loaded = SlamBackend(CONFIG, None, 500.0, False, "aliked")
    loaded.load(path)
    assert loaded.database.order == saved.database.order
    for key in saved.database.order:
        a, b = saved.database[key], loaded.database[key]
        for name in ("keypoints", "normalized", "descriptors", "points", "T_world_camera"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        np.testing.assert_allclose(loaded.graph.nodes[key], saved.graph.nodes[key])
        np.testing.assert_allclose(loaded.correction(key), saved.correction(key), atol=1e-12)
        np.testing.assert_allclose(b.global_descriptor, a.global_descriptor, atol=1e-3)   # stored as float16
    np.testing.assert_array_equal(loaded.index.vocabulary, saved.index.vocabulary)
    assert len(loaded.graph.edges) == len(saved.graph.edges) == KEYFRAMES - 1
    assert loaded.graph.fixed == set(saved.database.order)        # the map holds its frame
    assert loaded.session == 1 and not loaded.localised[1]        # new keyframes: a session to localise
    assert loaded.next_id == KEYFRAMES


def test_truncated_corrupt_foreign_and_mismatched_files_are_refused(tmp_path):
    backend = backend_with_map()
    path = tmp_path / "map.lgrmap"
    backend.save(path)
    data = path.read_bytes()

    def refused(content, match, **kwargs):
        bad = tmp_path / "bad.lgrmap"
        bad.write_bytes(content)
        other = SlamBackend(CONFIG, None, 500.0, kwargs.get("metric", False), kwargs.get("features", "aliked"))
        with pytest.raises(MapFileError, match=match):
            other.load(bad if content is not None else path)
        assert len(other.database) == 0   # nothing half-loaded

    refused(data[:len(data) // 2], "truncated: the header announces")
    refused(data[:10], "truncated")
    corrupt = bytearray(data)
    corrupt[HEADER.size + 1000] ^= 0xFF
    refused(bytes(corrupt), "corrupt: its checksum")
    refused((DATA / "tum_fr3_office_17" / "1341847980.722988.png").read_bytes(), "not a lightglue_ros map file")
    refused(b"", "not a lightglue_ros map file")
    version = bytearray(data)
    version[8] = 99
    refused(bytes(version), "format version 99; this build reads versions 1, 2")
    refused(data, "map of aliked features; the tracker uses superpoint", features="superpoint")
    refused(data, "monocular map; this run is metric", metric=True)
    with pytest.raises(MapFileError, match="cannot read map file"):
        read(tmp_path / "missing.lgrmap")


def test_loading_into_a_running_map_is_refused(tmp_path):
    backend = backend_with_map()
    path = tmp_path / "map.lgrmap"
    backend.save(path)
    with pytest.raises(ValueError, match="before the first keyframe"):
        backend.load(path)


def test_a_version_1_map_still_loads(tmp_path):
    """Version 1 had no edge covariances (every edge diagonal): it loads as it did; version 2 without them does not."""
    import hashlib
    import io
    import json

    saved = backend_with_map()
    saved.save(tmp_path / "map.lgrmap")

    def without_covariances(version):
        meta, arrays = read(tmp_path / "map.lgrmap")
        del arrays["edge_covariances"]
        arrays["meta"] = np.frombuffer(json.dumps({**meta, "version": version}).encode(), np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        payload = buffer.getvalue()
        path = tmp_path / f"version{version}.lgrmap"
        path.write_bytes(HEADER.pack(b"LGRSLAM\x00", version, len(payload), hashlib.sha256(payload).digest()) +
                         payload)
        return path

    loaded = SlamBackend(CONFIG, None, 500.0, False, "aliked")
    loaded.load(without_covariances(1))
    assert loaded.database.order == saved.database.order and len(loaded.graph.edges) == KEYFRAMES - 1
    for a, b in zip(saved.graph.edges, loaded.graph.edges):
        assert b.covariance is None and (a.i, a.j) == (b.i, b.j)
        np.testing.assert_array_equal(a.sigmas, b.sigmas)
    with pytest.raises(MapFileError, match="lacks edge_covariances"):
        SlamBackend(CONFIG, None, 500.0, False, "aliked").load(without_covariances(2))
