# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Maps on disk: a versioned, checked file a truncated or foreign one cannot pass for.

Layout: MAGIC (8 bytes), format version (uint32), payload length (uint64), SHA-256 of the payload (32 bytes),
then the payload: an uncompressed `.npz` (numpy's zip of arrays, read with allow_pickle=False, so a map file
cannot run code). Its `meta` entry is JSON: the features and descriptor size, metric or not, the focal length,
the sessions' localisation. Keyframes' variable-length arrays are concatenated with per-keyframe counts.
Version 2 adds each edge's full covariance (`edge_covariances`: the edges a dropped keyframe's were composed
into have one, `PoseGraph.remove_node`); version 1 files, whose edges all have diagonal sigmas, still load.
`load` raises `MapFileError` naming what is wrong: not a map file, another format version, truncated, corrupt
(checksum), or a map of other features than the tracker's.
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np

from .database import KeyframeRecord
from .pose_graph import Edge

MAGIC = b"LGRSLAM\x00"
VERSION = 2
READABLE = (1, 2)       # versions this build loads
HEADER = struct.Struct("<8sIQ32s")


class MapFileError(ValueError):
    """A map file that cannot be loaded; the message says why."""


def save(path, backend) -> int:
    """Write the backend's map; returns the file size in bytes. Written to a temporary file, then renamed."""
    db, graph, index = backend.database, backend.graph, backend.index
    # Only sessions in the map frame: one never localised has no place in it.
    records = [db[key] for key in db.order if backend.localised.get(db[key].session, False)]
    if not records:
        raise ValueError("the map is empty: no keyframes (localised in the map) to save")
    kept = {r.id for r in records}
    counts = np.array([len(r.keypoints) for r in records], np.int64)
    edges = [e for e in graph.edges if e.i in kept and e.j in kept]
    dim = 6 if backend.metric else 7
    arrays = {
        "ids": np.array([r.id for r in records], np.int64),
        "sessions": np.array([r.session for r in records], np.int64),
        "stamps": np.array([r.stamp for r in records], np.float64),
        "odometry": np.stack([r.T_world_camera for r in records]),
        "nodes": np.stack([graph.nodes[r.id] for r in records]),
        "counts": counts,
        "keypoints": np.concatenate([r.keypoints for r in records]),
        "normalized": np.concatenate([r.normalized for r in records]),
        "descriptors": np.concatenate([r.descriptors for r in records]),
        "points": np.concatenate([r.points for r in records]),
        "image_sizes": np.array([r.image_size for r in records], np.int64),
        "edge_nodes": np.array([[e.i, e.j] for e in edges], np.int64).reshape(-1, 2),
        "edge_measurements": np.array([e.S_ij for e in edges]).reshape(-1, 4, 4),
        "edge_sigmas": np.array([e.sigmas for e in edges]).reshape(len(edges), -1),
        "edge_loops": np.array([-1 if e.loop is None else e.loop for e in edges], np.int64),
        "edge_covariances": np.array([e.cov for e in edges]).reshape(len(edges), dim, dim),
    }
    if index.trained:
        arrays["vocabulary"] = index.vocabulary
        arrays["vocabulary_mean"] = index.mean
        rows = [k for k, key in enumerate(index.ids) if key in kept]
        arrays["vlad_ids"] = np.array([index.ids[k] for k in rows], np.int64)
        arrays["vlad"] = index.matrix[rows].astype(np.float16)
    meta = {"format": "lightglue_ros slam map", "version": VERSION, "features": backend.features,
            "descriptor_dim": int(records[0].descriptors.shape[1]), "metric": backend.metric,
            "focal": backend.focal, "keyframes": len(records),
            "sessions": sorted({r.session for r in records}),
            "accepted_loops": backend.stats.accepted}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    payload = buffer.getvalue()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(HEADER.pack(MAGIC, VERSION, len(payload), hashlib.sha256(payload).digest()))
        f.write(payload)
    tmp.replace(path)
    return HEADER.size + len(payload)


def read(path) -> tuple:
    """(meta dict, arrays dict) of a map file, checked; MapFileError otherwise."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MapFileError(f"cannot read map file {path}: {exc.strerror or exc}") from None
    if len(data) < HEADER.size:
        if MAGIC.startswith(data[:len(MAGIC)]) and data:
            raise MapFileError(f"{path} is truncated: {len(data)} bytes, shorter than the {HEADER.size}-byte header")
        raise MapFileError(f"{path} is not a lightglue_ros map file (too short, {len(data)} bytes)")
    magic, version, length, digest = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise MapFileError(f"{path} is not a lightglue_ros map file (it starts with {data[:8]!r})")
    if version not in READABLE:
        raise MapFileError(f"{path} is a map of format version {version}; this build reads versions "
                           f"{', '.join(map(str, READABLE))}")
    payload = data[HEADER.size:]
    if len(payload) != length:
        raise MapFileError(f"{path} is truncated: the header announces {length} bytes of map, the file has "
                           f"{len(payload)}")
    if hashlib.sha256(payload).digest() != digest:
        raise MapFileError(f"{path} is corrupt: its checksum does not match its contents")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise MapFileError(f"{path} has a valid header but unreadable contents: {exc}") from None
    missing = [k for k in ("ids", "sessions", "stamps", "odometry", "nodes", "counts", "keypoints", "normalized",
                           "descriptors", "points", "image_sizes", "edge_nodes", "edge_measurements",
                           "edge_sigmas", "edge_loops") if k not in arrays]
    if missing:
        raise MapFileError(f"{path} lacks {', '.join(missing)}")
    n = len(arrays["ids"])
    if arrays["counts"].sum() != len(arrays["keypoints"]) or len(arrays["counts"]) != n:
        raise MapFileError(f"{path} is inconsistent: keypoint counts do not add up")
    if version >= 2 and len(arrays.get("edge_covariances", ())) != len(arrays["edge_nodes"]):
        raise MapFileError(f"{path} lacks edge_covariances for its edges")
    return meta, arrays


def edges_from(arrays: dict) -> list:
    """The map's edges; a covariance with no off-diagonal term stays as the edge's sigmas."""
    covariances = arrays.get("edge_covariances")
    edges = []
    for k, ((i, j), S, sigmas, loop) in enumerate(zip(arrays["edge_nodes"], arrays["edge_measurements"],
                                                      arrays["edge_sigmas"], arrays["edge_loops"])):
        loop = None if loop < 0 else int(loop)
        cov = None if covariances is None else covariances[k]
        if cov is None or not np.any(cov - np.diag(np.diag(cov))):
            edges.append(Edge(int(i), int(j), S, sigmas, loop))
        else:
            edges.append(Edge.full(int(i), int(j), S, cov, loop))
    return edges


def records_from(arrays: dict, metric: bool) -> list:
    offsets = np.concatenate([[0], np.cumsum(arrays["counts"])])
    records = []
    for k, key in enumerate(arrays["ids"]):
        a, b = offsets[k], offsets[k + 1]
        records.append(KeyframeRecord(int(key), int(arrays["sessions"][k]), float(arrays["stamps"][k]),
                                      arrays["odometry"][k].copy(), arrays["keypoints"][a:b].copy(),
                                      arrays["normalized"][a:b].copy(), arrays["descriptors"][a:b].copy(),
                                      arrays["points"][a:b].copy(), tuple(int(v) for v in arrays["image_sizes"][k]),
                                      metric))
    return records
