# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The SLAM backend: keyframes in, loop-corrected (or relocalised) poses out; inline or in a background thread.

    backend = SlamBackend(SlamConfig(), matcher, focal, metric=False, features="aliked")
    backend.start()                                  # optional: a worker thread; else add_keyframe works inline
    backend.add_keyframe(record)                     # never blocks on the work when threaded
    C = backend.correction(record.id)                # S_map_odom for that keyframe (None: not localised yet)

Per keyframe (`_process`): it joins the pose graph with an odometry edge to its session's previous keyframe, gets
its VLAD descriptor, and the most similar keyframes that are not recent (same session: `exclude_recent_*`; other
sessions: those already in the map) are verified (`verification.py`). Each verified loop implies a correction of the
query's pose, C = S_world_candidate S_candidate_query S_world_query^-1. A correction is believed only when:

- it is bounded: at most `max_correction_deg` of rotation and a move of `max_correction_fraction` of the path
  travelled since the candidate (or since the session's last loop) — the drift the odometry can have built up;
- `consistent_keyframes` consecutive keyframes (gaps of at most `max_gap_keyframes`) verify loops that agree on it
  (ORB-SLAM's 3 coincident keyframes; cuVSLAM's two verifications that agree): in rotation, position and, monocular,
  scale (`agree_scale`: a loop to a view 44 degrees away can be right in rotation and position and 16 % off in
  scale, which the graph then spreads over the whole loop);
- after the optimisation its edges agree with the rest of the graph (`max_loop_error`, RTAB-Map's check).

A refused one counts as rejected; the accepted ones are edges of the graph, and (`global_adjustment`) a monocular
map is then bundle-adjusted whole (`global_adjustment.py`), its odometry edges re-measured on the result. The map
is bounded (`_bound`): a keyframe whose 3D points its two neighbours in the session nearly all see (`cull_coverage`)
is dropped, and past `max_map_keyframes` the most redundant one; its pose-graph edges are composed into its
neighbour's.

A session that is not in the map yet (a run started on a loaded map, or the keyframes after the tracker
re-initialised from a loss: `new_session`) is localised by its first accepted loop (a relocalisation): its keyframes
move into the map frame by that correction and it joins the graph (a loaded map's own keyframes stay fixed, so poses
come out in the saved map's frame and scale).

Threaded (the node), the worker lowers its own OS priority (`thread_nice`) and verifies with a matcher whose
onnxruntime sessions are its own, on its thread alone (`thread_matcher_threads`, `FeatureMatcher.worker_copy`): on a
CPU shared with the frontend the backend's work yields to the frontend's and the backend runs behind (`backlog`).
Inline (offline runs) it uses the tracker's matcher as it is.
"""
from __future__ import annotations

import heapq
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from .config import SlamConfig
from .database import KeyframeDatabase, KeyframeRecord
from .global_adjustment import LoopMatches, adjust_map
from .place_recognition import VladIndex
from .pose_graph import Edge, PoseGraph, loop_sigmas, odometry_sigmas
from .sim3 import decompose, invert_sim3, rigid, rotation_deg
from .verification import LoopMeasurement, LoopVerifier

# A neighbour seeing a point this much nearer or further does not cover it (ORB-SLAM: one pyramid level).
COVERED_DEPTH_RATIO = 1.2


@dataclass
class Detection:
    """A verified loop of one query keyframe with the correction it implies."""

    measurement: LoopMeasurement
    correction: np.ndarray           # S_world_world' that moves the query where the loop says it is
    depth: float                     # the query's median scene depth in world units (tolerances scale with it)


@dataclass
class LoopStats:
    accepted: int = 0                # loop edges in the graph
    rejected: int = 0                # verified loops refused (bounds, disagreement, never confirmed, graph error)
    candidates: int = 0              # place-recognition candidates verified
    unverified: int = 0              # of those, refused by the verification
    not_looked_up: int = 0           # keyframes mapped without a loop lookup: the backend was behind
    reasons: Dict[str, int] = field(default_factory=dict)
    keyframe_ms: List[float] = field(default_factory=list)
    optimisations: int = 0
    relocalisations: int = 0         # sessions localised in the map by a loop (a loaded map, or after a loss)
    culled: int = 0                  # keyframes dropped from the map (redundant, or the most redundant at the cap)
    adjustments: int = 0             # the map's bundle adjustments that held (`global_adjustment`)
    adjustments_refused: int = 0     # ... and those refused (too few inliers)
    adjustment_ms: List[float] = field(default_factory=list)

    def refuse(self, reason: str, count: int = 1) -> None:
        self.rejected += count
        self.reasons[reason] = self.reasons.get(reason, 0) + count


class SlamBackend:
    """The map, place recognition, verification and the pose graph behind one thread-friendly API."""

    def __init__(self, config: SlamConfig, matcher, focal: float, metric: bool, features: str):
        config.validate()
        self.config, self.metric, self.features, self.focal = config, bool(metric), features, float(focal)
        self.database = KeyframeDatabase()
        self.index = VladIndex(config.vocabulary_clusters, config.vocabulary_keyframes)
        self.verifier = LoopVerifier(matcher, config, focal)
        self.graph = PoseGraph(self.metric)
        self.session = 0
        self.localised: Dict[int, bool] = {0: True}     # session -> in the map frame
        self.stats = LoopStats()
        self.next_id = 0
        self.next_loop = 0
        self.run: List[Detection] = []                   # the current run of agreeing detections
        self.run_accepted = False                        # the run already closed its loop: agreeing ones join it
        self.run_session = 0                             # the session of the run's query keyframes
        self.gap = 0
        self.anchor_path: Dict[int, float] = {}          # session -> path length at its last accepted loop
        self._corrections: Dict[int, np.ndarray] = {}    # keyframe id -> S_map_odom (read without a lock)
        self.loop_matches: List[LoopMatches] = []        # the accepted loop edges' inlier matches (map's BA)
        self._queue: "queue.Queue[Optional[KeyframeRecord]]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._worker_matcher = None                      # the verification's matcher in the thread (`_background`)
        self._lock = threading.Lock()                    # the backend's state, against save() from another thread
        self.error: Optional[BaseException] = None
        self._columns = [np.zeros(0)] * 4                 # `_allowed`'s per-candidate columns, grown as indexed
        self.coverage: Dict[int, float] = {}             # keyframe -> share of its points its two neighbours see
        self._redundant: List[tuple] = []                # heap of (-coverage, neighbours' time gap, id), lazily valid
        # A dropped keyframe's correction follows a kept one: id -> S_kept_dropped T_odom_dropped^-1, by kept id.
        # Kept only with `history` (a run's trajectory asks every frame's keyframe; a node only the newest ones).
        self.history = True
        self._parent: Dict[int, np.ndarray] = {}
        self._children: Dict[int, List[int]] = {}

    # --- the API the frontend uses ---------------------------------------------------------------------------
    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add_keyframe(self, record: KeyframeRecord) -> None:
        """Queue a keyframe (threaded) or process it now (inline)."""
        if self._thread is not None:
            self._queue.put(record)
        else:
            self._process(record)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="slam_backend", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish the queued keyframes and end the worker."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def wait(self) -> None:
        """Block until the queued keyframes are processed (offline runs and tests)."""
        if self._thread is not None:
            self._queue.join()

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def correction(self, key: int) -> Optional[np.ndarray]:
        """S_map_odom at keyframe `key`: its odometry pose to the map frame; None while its session is not localised."""
        return self._corrections.get(key)

    def latest_correction(self) -> Optional[np.ndarray]:
        """The correction of the current session's newest keyframe (None while it is not localised)."""
        last = self.database.last_of(self.session)
        return None if last is None else self._corrections.get(last.id)

    def corrected_pose(self, key: int, T_odom_camera: np.ndarray) -> Optional[np.ndarray]:
        C = self.correction(key)
        return None if C is None else rigid(C @ T_odom_camera)

    def new_session(self) -> int:
        """Start a new odometry session (a run on a loaded map, the tracker re-initialised after a loss).

        Its keyframes are not chained to the previous session's (no odometry edge) and it is not in the map until a
        loop localises it.
        """
        with self._lock:
            self.session = max(self.localised) + 1
            self.localised[self.session] = False
        return self.session

    # --- the work --------------------------------------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._background()
        except Exception as exc:  # noqa: B902 the keyframes are still processed (on the tracker's matcher); kept
            self.error = exc
        while True:
            record = self._queue.get()
            try:
                if record is None:
                    return
                self._process(record)
            except Exception as exc:  # noqa: B902 the worker must outlive one bad keyframe; the error is kept
                self.error = exc
            finally:
                self._queue.task_done()

    def _background(self) -> None:
        """In the worker thread: lower its priority and move the verification to a matcher run on it alone."""
        cfg = self.config
        if cfg.thread_nice and hasattr(os, "setpriority"):
            tid = threading.get_native_id()
            try:   # Linux: the nice value is the thread's; lowering it needs no privilege
                os.setpriority(os.PRIO_PROCESS, tid, max(cfg.thread_nice, os.getpriority(os.PRIO_PROCESS, tid)))
            except OSError:
                pass
        if cfg.thread_matcher_threads and self._worker_matcher is None and \
                hasattr(self.verifier.matcher, "worker_copy"):
            self._worker_matcher = self.verifier.matcher.worker_copy(cfg.thread_matcher_threads)
            self.verifier.matcher = self._worker_matcher

    def _process(self, record: KeyframeRecord) -> None:
        start = time.perf_counter()
        with self._lock:
            if record.session != self.run_session:   # a run of loops never spans sessions (queued keyframes: here)
                self.run, self.run_accepted, self.gap, self.run_session = [], False, 0, record.session
            self._insert(record)
            waiting = bool(self.index.pending)
            vector = self.index.add(record.id, record.descriptors)
            if vector is not None:
                record.global_descriptor = vector
                if waiting:   # the vocabulary was just trained: the keyframes that waited for it get theirs
                    for row, key in enumerate(self.index.ids):
                        self.database[key].global_descriptor = self.index.matrix[row]
            behind = self._queue.qsize() > self.config.max_backlog_keyframes
            self.stats.not_looked_up += behind
            detection = self._detect(record) if vector is not None and not behind else None
            self._consider(record, detection)
            self._publish([record.id])
            self._bound(record)
        self.stats.keyframe_ms.append((time.perf_counter() - start) * 1e3)

    def _insert(self, record: KeyframeRecord) -> None:
        previous = self.database.add(record)
        if previous is None:
            # A session's first keyframe: its odometry frame is the map frame for the first session; later ones
            # stay in their own frame until localised.
            self.graph.add_node(record.id, record.T_world_camera)
            return
        step = invert_sim3(previous.T_world_camera) @ record.T_world_camera
        S_prev = self.graph.nodes[previous.id]
        self.graph.add_node(record.id, S_prev @ step)
        depth = record.median_depth if record.num_points else np.linalg.norm(step[:3, 3])
        cfg = self.config
        sigmas = odometry_sigmas(step, float(np.nan_to_num(depth, nan=1.0)), self.metric,
                                 cfg.odometry_rotation_sigma_deg, cfg.odometry_translation_sigma,
                                 cfg.odometry_scale_sigma)
        self.graph.add_edge(Edge(previous.id, record.id, step, sigmas))

    def _allowed(self, record: KeyframeRecord) -> np.ndarray:
        """Which indexed keyframes may be the record's loop candidates (bool per `index.ids`)."""
        cfg, db = self.config, self.database
        ids = self.index.ids
        if len(self._columns[0]) < len(ids):   # per indexed keyframe: session, position, stamp, usable
            new = [db[key] for key in ids[len(self._columns[0]):]]
            grown = [[r.session for r in new], [db.position[r.id] for r in new], [r.stamp for r in new],
                     [r.num_points >= cfg.min_inliers for r in new]]
            self._columns = [np.concatenate([old, np.array(add)]) for old, add in zip(self._columns, grown)]
        session, position, stamp, usable = self._columns
        same = session == record.session
        old = (db.position[record.id] - position >= cfg.exclude_recent_keyframes) & \
            (record.stamp - stamp >= cfg.exclude_recent_s)
        mapped = np.array([self.localised.get(int(s), False) for s in range(int(session.max(initial=0)) + 1)])
        other = ~same & mapped[session.astype(int)] if len(session) else same
        # A session not in the map yet looks for the map alone: a loop within it would be taken for its localisation.
        old &= bool(self.localised.get(record.session, False))
        return usable.astype(bool) & np.where(same, old, other)

    def _detect(self, record: KeyframeRecord) -> Optional[Detection]:
        """The best verified loop of this keyframe (most inliers), or None."""
        cfg = self.config
        if record.num_points < cfg.min_scale_points:
            return None
        candidates = self.index.query(record.global_descriptor, self._allowed(record), cfg.candidates,
                                      cfg.min_similarity)
        best = None
        for key, _ in candidates:
            self.stats.candidates += 1
            measurement = self.verifier.verify(record, self.database[key])
            if not measurement.ok:
                self.stats.unverified += 1
                continue
            if best is None or measurement.inliers > best.inliers:
                best = measurement
        self.verifier.forget(record.id)
        if best is None:
            return None
        nodes = self.graph.nodes
        C = nodes[best.candidate_id] @ best.S_candidate_query @ invert_sim3(nodes[record.id])
        depth = record.median_depth * decompose(nodes[record.id])[2]
        return Detection(best, C, depth)

    def _bounded(self, record: KeyframeRecord, detection: Detection) -> str:
        """Why the correction is out of bounds, or ''."""
        cfg = self.config
        if not self.localised[record.session]:
            return ""   # relocalisation: no prior to bound it by
        R, _, _ = decompose(detection.correction)
        angle = rotation_deg(R)
        if angle > cfg.max_correction_deg:
            return f"correction {angle:.1f} deg > {cfg.max_correction_deg}"
        position = self.graph.nodes[record.id][:3, 3]
        moved = float(np.linalg.norm(detection.correction[:3, :3] @ position + detection.correction[:3, 3] -
                                     position))
        candidate = self.database[detection.measurement.candidate_id]
        path = self.database.path
        since = path[candidate.id] if candidate.session == record.session else \
            self.anchor_path.get(record.session, 0.0)
        travelled = (path[record.id] - since) * decompose(self.graph.nodes[record.id])[2]
        allowed = cfg.max_correction_fraction * travelled + cfg.agree_translation * detection.depth
        if moved > allowed:
            return f"correction moves {moved:.2f} > {allowed:.2f} (drift bound)"
        return ""

    def _agree(self, a: Detection, b: Detection, position: np.ndarray) -> bool:
        cfg = self.config
        (Ra, _, sa), (Rb, _, sb) = decompose(a.correction), decompose(b.correction)
        if rotation_deg(Ra.T @ Rb) > cfg.agree_rotation_deg:
            return False
        if abs(np.log(sa / sb)) > cfg.agree_scale:   # 1 and 1 when metric
            return False
        pa = a.correction[:3, :3] @ position + a.correction[:3, 3]
        pb = b.correction[:3, :3] @ position + b.correction[:3, 3]
        return float(np.linalg.norm(pa - pb)) <= cfg.agree_translation * max(a.depth, b.depth)

    def _consider(self, record: KeyframeRecord, detection: Optional[Detection]) -> None:
        """Add the detection to the run of agreeing ones; close the loop when the run is long enough."""
        cfg = self.config
        if detection is None:
            self.gap += 1
            if self.gap > cfg.max_gap_keyframes:
                self._drop_run("never confirmed by consecutive keyframes")
            return
        reason = self._bounded(record, detection)
        if reason:
            self.stats.refuse("out of bounds")
            self.gap += 1
            if self.gap > cfg.max_gap_keyframes:
                self._drop_run("never confirmed by consecutive keyframes")
            return
        position = self.graph.nodes[record.id][:3, 3]
        if self.run and not self._agree(self.run[-1], detection, position):
            self._drop_run("disagreeing with the next keyframes")
        self.run.append(detection)
        self.gap = 0
        if self.run_accepted:
            self._close([detection])
        elif len(self.run) >= cfg.consistent_keyframes:
            self._close(self.run)

    def _drop_run(self, reason: str) -> None:
        if not self.run_accepted and self.run:
            self.stats.refuse(reason, len(self.run))
        self.run, self.run_accepted, self.gap = [], False, 0

    def _close(self, detections: List[Detection]) -> None:
        """Add the detections' loop edges, optimise, and keep them only if the graph agrees with them."""
        cfg = self.config
        loop = self.next_loop
        self.next_loop += 1
        before = self.graph.snapshot()
        query_session = self.database[detections[-1].measurement.query_id].session
        relocalising = not self.localised[query_session]
        if relocalising:
            # The session's keyframes move into the map frame by the loop's correction (its latest estimate).
            C = detections[-1].correction
            for key in self.database.order:
                if self.database[key].session == query_session:
                    self.graph.nodes[key] = C @ self.graph.nodes[key]
        for d in detections:
            m = d.measurement
            depth = self.database[m.query_id].median_depth
            sigmas = loop_sigmas(depth, self.metric, cfg.loop_rotation_sigma_deg, cfg.loop_translation_sigma,
                                 cfg.loop_scale_sigma)
            self.graph.add_edge(Edge(m.candidate_id, m.query_id, m.S_candidate_query, sigmas, loop))
        self.graph.optimize()
        self.stats.optimisations += 1
        errors = self.graph.loop_errors(loop)
        if max(errors) > cfg.max_loop_error:
            self.graph.remove_loop(loop)
            self.graph.restore(before)
            self.stats.refuse("disagrees with the graph after optimisation", len(detections))
            self.run, self.run_accepted, self.gap = [], False, 0
            return
        self.stats.accepted += len(detections)
        self.stats.relocalisations += relocalising
        self.localised[query_session] = True
        self.anchor_path[query_session] = self.database.path[detections[-1].measurement.query_id]
        if cfg.global_adjustment and not self.metric:   # kept only for it
            self.loop_matches.extend(LoopMatches(d.measurement.query_id, d.measurement.candidate_id,
                                                 d.measurement.pairs) for d in detections)
            self._adjust()   # after every loop edge: once per revisit alone gained a third as much (synthetic loop)
        self.run_accepted = True
        self.run = [self.run[-1]] if self.run else []
        if self.run:  # agreement from now on is with the corrected graph: the last detection's correction is now ~I
            last = self.run[-1].measurement
            nodes = self.graph.nodes
            self.run[-1].correction = nodes[last.candidate_id] @ last.S_candidate_query @ \
                invert_sim3(nodes[last.query_id])
        self._publish(self.database.order)

    def _adjust(self) -> None:
        """Bundle-adjust the map (monocular), then re-measure the odometry edges on its result.

        The edges then hold the adjusted shape: a later loop's pose-graph optimisation bends that, not the odometry's.
        """
        cfg, db = self.config, self.database
        records = [db[key] for key in db.order if self.localised.get(db[key].session, False)]
        if len(records) > cfg.global_adjustment_max_keyframes:
            return
        start = time.perf_counter()
        adjustment = adjust_map(records, self.graph.nodes, sorted(self.graph.fixed), self.loop_matches, self.focal,
                                cfg.pnp_threshold_px)
        self.stats.adjustment_ms.append((time.perf_counter() - start) * 1e3)
        if adjustment is None:
            self.stats.adjustments_refused += 1
            return
        self.stats.adjustments += 1
        nodes = self.graph.nodes
        nodes.update(adjustment.nodes)
        for e in self.graph.edges:
            if e.loop is None and (e.i in adjustment.nodes or e.j in adjustment.nodes):
                e.S_ij = invert_sim3(nodes[e.i]) @ nodes[e.j]

    def _publish(self, ids) -> None:
        corrections = dict(self._corrections) if len(ids) > 1 else self._corrections
        for key in ids:
            record = self.database[key]
            localised = self.localised.get(record.session, False)
            for child in [key] + self._children.get(key, []):
                if not localised:
                    corrections.pop(child, None)
                elif child == key:
                    corrections[key] = self.graph.nodes[key] @ invert_sim3(record.T_world_camera)
                else:
                    corrections[child] = self.graph.nodes[key] @ self._parent[child]
        self._corrections = corrections

    # --- bounding the map ------------------------------------------------------------------------------------
    def _bound(self, record: KeyframeRecord) -> None:
        """Drop the redundant keyframes next to the new one, then the most redundant ones over the cap.

        A keyframe is judged once it has both neighbours in its session (the new keyframe completes the previous
        one), again whenever one of them is dropped. Dropping one removes it from the database, the VLAD index and
        the pose graph, whose edges it had are rerouted to its nearer neighbour (`PoseGraph.remove_node`: the
        odometry chain composes into one edge, a loop edge moves), so the graph keeps as many nodes as the map; its
        frames' corrections follow that neighbour from then on.
        """
        cfg, db = self.config, self.database
        judge = [db.previous[record.id]]
        while judge:
            key = judge.pop()
            if self._judge(key) and self.coverage[key] > cfg.cull_coverage and self._droppable(key):
                judge.extend(self._drop(key))
        # The most redundant first; among equally covered ones (a robot that never revisits: about none) the one
        # whose neighbours are closest in time, so the map thins out evenly rather than forgetting its start.
        kept = []   # judged but not droppable now (in the run of loops): back on the heap afterwards
        while len(db) > cfg.max_map_keyframes and self._redundant:
            entry = heapq.heappop(self._redundant)
            key = entry[2]
            if self.coverage.get(key) != -entry[0] or entry[1] != self._gap(key):
                continue   # judged again since (or dropped): a newer entry holds it
            if not self._droppable(key):
                kept.append(entry)
                continue
            for key in self._drop(key):
                self._judge(key)
        for entry in kept:
            heapq.heappush(self._redundant, entry)
        if len(self._redundant) > 4 * len(self.coverage) + 64:   # shed the stale entries
            self._redundant = [(-c, self._gap(k), k) for k, c in self.coverage.items()]
            heapq.heapify(self._redundant)

    def _gap(self, key: int) -> float:
        db = self.database
        return db[db.following[key]].stamp - db[db.previous[key]].stamp

    def _droppable(self, key: int) -> bool:
        """Not in the run of loops being confirmed, and indexed (the vocabulary's training keyframes wait for it)."""
        return key in self.index and \
            all(key not in (d.measurement.query_id, d.measurement.candidate_id) for d in self.run)

    def _judge(self, key: Optional[int]) -> bool:
        """Compute the keyframe's `coverage`, if it is between two neighbours and not a loaded map's."""
        db, nodes = self.database, self.graph.nodes
        if key is None or key in self.graph.fixed or db.previous[key] is None or db.following[key] is None:
            return False
        record = db[key]
        X = record.points[record.known].astype(np.float64)
        seen = np.ones(len(X), bool)
        for other in (db.previous[key], db.following[key]):
            S = invert_sim3(nodes[other]) @ nodes[key]
            Y = X @ S[:3, :3].T + S[:3, 3]
            view = db[other].normalized
            with np.errstate(divide="ignore", invalid="ignore"):   # points behind it: NaN, refused by `> 0`
                uv = Y[:, :2] / Y[:, 2:]
                ratio = np.abs(np.log(Y[:, 2] / (X[:, 2] * decompose(S)[2])))   # depths in the other's units
            seen &= (Y[:, 2] > 0) & np.all((uv >= view.min(axis=0)) & (uv <= view.max(axis=0)), axis=1) & \
                (ratio <= np.log(COVERED_DEPTH_RATIO))
        self.coverage[key] = float(seen.mean()) if len(X) else 0.0
        heapq.heappush(self._redundant, (-self.coverage[key], self._gap(key), key))
        return True

    def _drop(self, key: int) -> List[int]:
        """Remove a keyframe from the map (see `_bound`); returns its two neighbours, to be judged again."""
        db = self.database
        before, after = db.previous[key], db.following[key]
        into = min((before, after), key=lambda k: abs(db.path[k] - db.path[key]))
        S = invert_sim3(self.graph.nodes[into]) @ self.graph.nodes[key]
        record = db.remove(key)
        self.graph.remove_node(key, into)
        row, n = self.index.remove(key), len(self.index.ids) + 1
        for k, column in enumerate(self._columns):   # as the index moved its rows (those not grown yet regrow)
            if len(column) == n:
                column = column.copy()
                column[row] = column[n - 1]
            self._columns[k] = column[:n - 1] if len(column) == n else column[:row]
        self.coverage.pop(key, None)
        self.verifier.forget(key)
        if self.history:
            self._parent[key] = S @ invert_sim3(record.T_world_camera)
            adopted = self._children.setdefault(into, [])
            adopted.append(key)
            for child in self._children.pop(key, []):   # its own dropped keyframes follow `into` too
                self._parent[child] = S @ self._parent[child]
                adopted.append(child)
        else:
            self._corrections.pop(key, None)
        self.stats.culled += 1
        return [before, after]

    # --- maps on disk ----------------------------------------------------------------------------------------
    def save(self, path) -> int:
        """Write the map (the sessions localised in it); returns its size in bytes."""
        from . import map_file

        with self._lock:
            return map_file.save(path, self)

    def load(self, path) -> None:
        """Start from a saved map (before the first keyframe): its keyframes stay fixed, new ones are a new session.

        Raises map_file.MapFileError (a ValueError) saying why a file cannot be used.
        """
        from . import map_file

        meta, arrays = map_file.read(path)
        if meta.get("features") != self.features:
            raise map_file.MapFileError(f"{path} is a map of {meta.get('features')} features; the tracker uses "
                                        f"{self.features}")
        if bool(meta.get("metric")) != self.metric:
            kinds = {True: "metric (RGB-D)", False: "monocular"}
            raise map_file.MapFileError(f"{path} is a {kinds[bool(meta.get('metric'))]} map; this run is "
                                        f"{kinds[self.metric]}")
        with self._lock:
            if len(self.database):
                raise ValueError("a map can only be loaded before the first keyframe")
            records = map_file.records_from(arrays, self.metric)
            for k, record in enumerate(records):
                self.database.add(record)
                self.graph.add_node(record.id, arrays["nodes"][k], fixed=True)
                self.localised[record.session] = True
            for edge in map_file.edges_from(arrays):
                self.graph.add_edge(edge)
            if "vocabulary" in arrays and "vocabulary_mean" in arrays:
                self.index.set_vocabulary(arrays["vocabulary"], arrays["vocabulary_mean"])
                for key, vector in zip(arrays["vlad_ids"], arrays["vlad"]):
                    self.index.add_vector(int(key), vector.astype(np.float32))
                    self.database[int(key)].global_descriptor = vector.astype(np.float32)
            else:   # a map smaller than the vocabulary's training set: its keyframes still wait for one
                for record in records:
                    self.index.pending[record.id] = record.descriptors
            self.next_id = int(arrays["ids"].max()) + 1
            self.next_loop = int(arrays["edge_loops"].max(initial=-1)) + 1
            self._publish(self.database.order)
        self.new_session()

    # --- reporting -------------------------------------------------------------------------------------------
    def summary(self) -> str:
        s = self.stats
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s.reasons.items())) or "none"
        ms = np.array(s.keyframe_ms) if s.keyframe_ms else np.zeros(1)
        return (f"loop closures: {s.accepted} accepted, {s.rejected} rejected ({reasons}); candidates verified "
                f"{s.candidates}, refused by verification {s.unverified}; keyframes {len(self.database)}, "
                f"backend ms per keyframe mean {ms.mean():.1f} max {ms.max():.1f}, optimisations {s.optimisations}, "
                f"relocalisations {s.relocalisations} ({len(self.localised)} sessions), keyframes dropped {s.culled}, "
                f"not looked up (behind) {s.not_looked_up}, map bundle adjustments {s.adjustments} "
                f"(refused {s.adjustments_refused}, ms mean {np.mean(s.adjustment_ms or [0]):.0f} "
                f"max {np.max(s.adjustment_ms or [0]):.0f})")
