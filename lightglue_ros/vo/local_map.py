# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Monocular local map: the last keyframes, the points they share, and bundle adjustment over them.

Two-view geometry between consecutive keyframes confuses a small rotation with a small sideways translation (the
bas-relief ambiguity) and triangulates points with noisy depths; chained from keyframe to keyframe these errors
drift the trajectory and its scale. Seeing the same points from several keyframes removes the ambiguity, so after
each new keyframe the poses of the latest keyframes and the points they share are refined together by minimising
the reprojection error (bundle adjustment). The two oldest keyframes of the window stay fixed: they hold the
world frame and the running scale. So do the anchors, the keyframes before the window, with their observations of
its landmarks: with the two alone, each window's scale rests on one short baseline whose error the next window
inherits, and on real drives the scale grew steadily (KITTI 04: scale drift 1.10 end/start, ATE 0.44 %; with 8
anchors 1.04 and 0.17 %, `bench/scale_drift.py`).

Landmarks whose rays meet at a narrow angle (`VOConfig.local_map_min_angle_deg`, off by default) can be kept out
of the adjustment. A point seen from two or three keyframes is adjusted from as few rays; with so few, the
least-squares baseline that narrow points vote for comes out long, the more so as the keypoint noise over the
angle grows (`bench/narrow_points.py`, three keyframes, the third free, 1 px noise: points of median angle 0.72
degrees alone +3.5 %, 0.36 degrees +22 %, 2.4 degrees +0.2 %; 50 wide points among 100 of 0.44 degrees +0.5 %).
Left out, they no longer lengthen the baselines but no longer hold the rotations either: on the synthetic street
the scale grew +0.069 % per keyframe instead of +0.125 % over 800 frames, yet over 2000 frames as much as with
them, and the rotation error per frame rose (the knob's help has the numbers). The pose fits use them either way,
weighed by their angle.

Points are "landmarks" with ids: a keyframe's keypoint that matches a keypoint of the previous keyframe (as an
inlier) sees the same landmark; `Keyframe.landmarks` holds the id per keypoint (-1 for none). A chain of pairwise
matches loses a point at the first pair that misses it, and tracks that end after two or three keyframes leave the
anchors nothing to hold, so landmarks the new keyframe's matches did not link can be searched for in it by
projection and descriptor (`refind`, as ORB-SLAM's local map tracking does; off by default, see
`VOConfig.landmark_search_radius_px` for what it measured).
"""
from __future__ import annotations

from collections import deque
from typing import Deque, Dict, Optional, Set

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from .geometry import projection_jacobian, skew
from .keyframe import Keyframe
from .transforms import make_transform

FIXED_KEYFRAMES = 2  # the oldest of the window: world frame (6 dof) and scale (1 dof) stay where they are
CONVERGED = 1e-6     # a bundle-adjustment step that lowers the cost by less than this fraction ends its phase
# A re-found landmark's descriptor (its newest observation's) and the keypoint's: cosine similarity at least this.
# Descriptors of one point across nearby views score 0.8-0.95, of neighbouring points rarely above 0.7.
MIN_DESCRIPTOR_SIMILARITY = 0.8
CANDIDATES = 4       # keypoints within the search radius compared per landmark


class _Sum:
    """Per-item values summed by a fixed target index: `np.add.at` as one sparse product (several times faster)."""

    def __init__(self, index: np.ndarray, size: int):
        n = len(index)
        self.size = size
        self.matrix = csr_matrix((np.ones(n), (index, np.arange(n))), shape=(size, n))

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return (self.matrix @ values.reshape(len(values), -1)).reshape((self.size,) + values.shape[1:])


def _linearise(R, t, X, camera_index, point_index, observed, focal):
    """Residuals (M x 2, pixels) and their Jacobians w.r.t.

    the camera (M x 2 x 6: left rotation perturbation, translation) and the point (M x 2 x 3).
    """
    Rc = R[camera_index]
    RX = np.einsum("nij,nj->ni", Rc, X[point_index])
    Xc = RX + t[camera_index]
    z = Xc[:, 2]
    residual = focal * (Xc[:, :2] / z[:, None] - observed)
    d_proj = projection_jacobian(Xc, focal)
    d_camera = np.concatenate([-d_proj @ skew(RX), d_proj], axis=2)   # d(exp(w) R X + t + dt)
    return residual, d_camera, d_proj @ Rc, z


def _linearise_baselines(R, t, baselines):
    """Residuals (B, in sigmas) of the baselines (a, b, length, sigma) and their Jacobians (B x 6) w.r.t. a and b.

    A camera's centre is c = -R^T t; under the step (exp(w) R, t + dt) it moves by -R^T [t]x w - R^T dt.
    """
    a, b, length, sigma = baselines
    a, b = a.astype(np.int64), b.astype(np.int64)
    centre = -np.einsum("nji,nj->ni", R, t)
    d = centre[a] - centre[b]
    norm = np.maximum(np.linalg.norm(d, axis=1), 1e-12)
    u = d / norm[:, None]
    residual = (norm - length) / sigma

    def jacobian(index):   # d(centre) / d(w, dt): 3 x 6 per camera, then u^T . / sigma
        Rt = np.swapaxes(R[index], 1, 2)
        dc = np.concatenate([-Rt @ skew(t[index]), -Rt], axis=2)
        return np.einsum("ni,nij->nj", u, dc) / sigma[:, None]

    return residual, jacobian(a), -jacobian(b)


def bundle_adjust(T_camera_world: np.ndarray, points: np.ndarray, camera_index: np.ndarray,
                  point_index: np.ndarray, observed: np.ndarray, focal: float, threshold_px: float,
                  fixed: int = FIXED_KEYFRAMES, iterations: int = 15, baselines=None):
    """Refine camera poses (K x 4 x 4, camera-from-world; the first `fixed` stay) and points (L x 3, world).

    Observation j: point `point_index[j]` seen by camera `camera_index[j]` at normalized coordinates `observed[j]`
    (every point needs two). Levenberg-Marquardt on the reprojection error in pixels; the points are eliminated
    from each step by the Schur complement, so a step costs one 6(K - fixed) square solve. Huber weights find the
    outliers, then the last iterations weigh the inliers alone (Huber's tail leans towards one-sided outliers);
    each half ends early once a step lowers the cost by less than `CONVERGED` of it.
    `baselines` (a, b, length, sigma: B each) are measured distances between camera centres a and b (wheel
    odometry, metres), each a residual (|c_a - c_b| - length) / sigma weighed like a pixel of reprojection error:
    they hold the scale where the fixed cameras alone would let it drift.
    Returns (T_camera_world, points, inliers M bool).
    """
    K, L = len(T_camera_world), len(points)
    free = K - fixed
    R, t = T_camera_world[:, :3, :3].copy(), T_camera_world[:, :3, 3].copy()
    X = np.array(points, dtype=np.float64)
    # Pairs of observations of the same point (each with every one, itself included): they couple their
    # cameras in the reduced system. Sorted by point, a point's observations are one run starting at `start`.
    order = np.argsort(point_index, kind="stable")
    sorted_points = point_index[order]
    start = np.searchsorted(sorted_points, np.arange(L))
    runs = np.bincount(point_index, minlength=L)[sorted_points]      # per sorted observation: its point's count
    within = np.arange(runs.sum()) - np.repeat(np.cumsum(runs) - runs, runs)
    pair_a = np.repeat(order, runs)
    pair_b = order[np.repeat(start[sorted_points], runs) + within]
    moving = camera_index >= fixed
    both = moving[pair_a] & moving[pair_b]
    pair_a, pair_b = pair_a[both], pair_b[both]
    # The sums the iterations take, by camera, point and camera pair: their indices stay, so built once.
    by_camera, by_point = _Sum(camera_index, K), _Sum(point_index, L)
    by_pair = _Sum(camera_index[pair_a] * K + camera_index[pair_b], K * K)

    if baselines is not None:
        baselines = tuple(np.asarray(v, dtype=np.float64).reshape(-1) for v in baselines)
        base_a, base_b = baselines[0].astype(np.int64), baselines[1].astype(np.int64)
        by_base_a, by_base_b = _Sum(base_a, K), _Sum(base_b, K)
        by_base_pair = _Sum(np.concatenate([base_a * K + base_b, base_b * K + base_a]), K * K)

    def baseline_cost(R, t):
        return float(np.sum(_linearise_baselines(R, t, baselines)[0] ** 2)) if baselines is not None else 0.0

    def cost(residual, weight):
        return float(np.sum(weight * np.sum(residual ** 2, axis=1)))

    def weights(residual, robust):
        error = np.linalg.norm(residual, axis=1)
        if robust:
            return np.where(error <= threshold_px, 1.0, threshold_px / np.maximum(error, 1e-12))
        return (error < threshold_px).astype(np.float64)

    damping, iteration = 1e-3, 0
    while iteration < iterations:
        robust = iteration < iterations // 2
        residual, J_camera, J_point, _ = _linearise(R, t, X, camera_index, point_index, observed, focal)
        w = weights(residual, robust)
        current = cost(residual, w) + baseline_cost(R, t)
        J_camera = J_camera * moving[:, None, None]
        wJc, wJp = J_camera * w[:, None, None], J_point * w[:, None, None]
        U = by_camera(np.einsum("nji,njk->nik", wJc, J_camera))
        V = by_point(np.einsum("nji,njk->nik", wJp, J_point))
        W = np.einsum("nji,njk->nik", wJc, J_point)                       # per observation, 6 x 3
        g_camera = by_camera(np.einsum("nji,nj->ni", wJc, residual))
        g_point = by_point(np.einsum("nji,nj->ni", wJp, residual))
        coupling = None
        if baselines is not None:
            r_base, J_a, J_b = _linearise_baselines(R, t, baselines)
            J_a, J_b = J_a * (base_a >= fixed)[:, None], J_b * (base_b >= fixed)[:, None]
            U += by_base_a(J_a[:, :, None] * J_a[:, None, :]) + by_base_b(J_b[:, :, None] * J_b[:, None, :])
            g_camera += by_base_a(J_a * r_base[:, None]) + by_base_b(J_b * r_base[:, None])
            a_b = J_a[:, :, None] * J_b[:, None, :]                        # 6 x 6 per baseline, a-b block
            coupling = by_base_pair(np.concatenate([a_b, a_b.transpose(0, 2, 1)])).reshape(K, K, 6, 6)
        gained = 0.0
        while True:
            V_damped = V + damping * (np.diagonal(V, axis1=1, axis2=2)[:, :, None] * np.eye(3) + 1e-9 * np.eye(3))
            V_inv = np.linalg.inv(V_damped)
            Y = W @ V_inv[point_index]                                     # 6 x 3 per observation
            S = -by_pair(Y[pair_a] @ W[pair_b].transpose(0, 2, 1)).reshape(K, K, 6, 6)
            S[np.arange(K), np.arange(K)] += U + damping * np.diagonal(U, axis1=1, axis2=2)[:, :, None] * np.eye(6)
            if coupling is not None:
                S += coupling
            rhs = by_camera(np.einsum("nij,nj->ni", Y, g_point[point_index])) - g_camera
            S_free = S[fixed:, fixed:].transpose(0, 2, 1, 3).reshape(6 * free, 6 * free)
            try:
                step_camera = np.zeros((K, 6))
                step_camera[fixed:] = np.linalg.solve(S_free, rhs[fixed:].ravel()).reshape(free, 6)
            except np.linalg.LinAlgError:
                return make_transform(R, t), X, np.zeros(len(observed), bool)
            back = by_point(np.einsum("nji,nj->ni", W, step_camera[camera_index]))
            step_point = -np.einsum("nij,nj->ni", V_inv, g_point + back)
            R_new = Rotation.from_rotvec(step_camera[:, :3]).as_matrix() @ R
            t_new, X_new = t + step_camera[:, 3:], X + step_point
            new_residual = _linearise(R_new, t_new, X_new, camera_index, point_index, observed, focal)[0]
            new = cost(new_residual, w) + baseline_cost(R_new, t_new)
            if new < current:
                R, t, X, damping, gained = R_new, t_new, X_new, max(damping / 10, 1e-7), current - new
                break
            damping *= 10
            if damping > 1e4:
                break
        # A phase whose step gained almost nothing has converged: the robust one hands over to the inlier one,
        # which ends the adjustment (both converge in 2-4 steps on real windows; the rest changed nothing).
        if gained <= CONVERGED * current:
            iteration = iterations // 2 if robust else iterations
        else:
            iteration += 1
    residual, _, _, z = _linearise(R, t, X, camera_index, point_index, observed, focal)
    return make_transform(R, t), X, (z > 0) & (np.linalg.norm(residual, axis=1) < threshold_px)


class LocalMap:
    """The window of the last `size` keyframes of one monocular trajectory, `anchors` older ones, and their landmarks.

    The window's keyframes but its 2 oldest are adjusted; those 2 and the anchors, the `anchors` keyframes before
    the window, stay fixed with their observations of the window's landmarks (an anchor that sees none adds
    nothing). Anchors hold the landmarks' depths to the long baselines they were seen over: without them the scale
    is held by the 2 oldest keyframes alone, whose short baseline re-imposes each handoff's error on the next window
    (measured in bench/scale_drift.py). Without an adjustment (`size` <= 2) no anchors are kept.
    """

    def __init__(self, size: int, threshold_px: float, anchors: int, search_radius_px: float,
                 baseline_sigma: float = 0.0, min_angle_deg: float = 0.0):
        self.size, self.threshold_px, self.anchors = size, threshold_px, anchors
        self.search_radius_px, self.baseline_sigma = search_radius_px, baseline_sigma
        self.min_angle = np.radians(min_angle_deg)
        # what the tracker built it from
        self.settings = (size, threshold_px, anchors, search_radius_px, baseline_sigma, min_angle_deg)
        kept = max(size, 1) + (anchors if size > FIXED_KEYFRAMES else 0)
        self.keyframes: Deque[Keyframe] = deque(maxlen=kept)
        self.positions: Dict[int, np.ndarray] = {}   # landmark id -> world position
        self.next_id = 0
        # The newest keyframe's keypoints, and the landmarks, of matches a pose fit rejected (see `add`).
        self.rejected_keypoints = np.zeros(0, np.int64)
        self.rejected_landmarks: Set[int] = set()

    def add(self, keyframe: Keyframe, previous: Optional[Keyframe] = None, matches: Optional[np.ndarray] = None,
            rejected: Optional[np.ndarray] = None) -> None:
        """Add a keyframe; `matches` (K x 2: previous index, keyframe index) are the inliers that link it to `previous`.

        `rejected` (same form) are the matches the pose fit rejected: `refind` leaves their keypoints unlinked, and
        the previous keyframe's landmarks among them from then on. A keyframe that does not follow the window's last
        one starts a new window.
        """
        keyframe.landmarks = np.full(len(keyframe.keypoints), -1, np.int64)
        self.rejected_keypoints = np.zeros(0, np.int64)
        if not self.keyframes or self.keyframes[-1] is not previous:
            self.keyframes.clear()
            self.positions.clear()
            if previous is not None:  # e.g. the re-initialisation keyframe after a loss
                previous.landmarks = np.full(len(previous.keypoints), -1, np.int64)
                self.keyframes.append(previous)
        if matches is not None and previous is not None:
            i0, i1 = matches[keyframe.known[matches[:, 1]]].T
            unseen = i0[previous.landmarks[i0] < 0]
            previous.landmarks[unseen] = self.next_id + np.arange(len(unseen))
            self.next_id += len(unseen)
            keyframe.landmarks[i1] = previous.landmarks[i0]
            # The newest triangulation of each landmark starts the adjustment.
            T = keyframe.T_world_camera
            world = keyframe.points[i1] @ T[:3, :3].T + T[:3, 3]
            self.positions.update(zip(keyframe.landmarks[i1].tolist(), world))
            if rejected is not None and self.search_radius_px > 0:   # only the search reads them
                self.rejected_keypoints = rejected[:, 1]
                self.rejected_landmarks.update(previous.landmarks[rejected[:, 0]].tolist())
        self.keyframes.append(keyframe)
        for older in list(self.keyframes)[:-1]:  # only the newest is matched again: free the others' encodings
            older.encoded = None
        seen = {int(v) for kf in self.keyframes for v in kf.landmarks[kf.landmarks >= 0]}
        self.positions = {k: v for k, v in self.positions.items() if k in seen}
        self.rejected_landmarks &= seen

    def refind(self, focal: float) -> int:
        """Link the newest keyframe's unlinked keypoints to the map's landmarks it sees; returns how many.

        Each landmark the keyframe does not see yet is projected with the keyframe's pose; the keypoint within
        `search_radius_px` whose descriptor is most like the landmark's newest observation takes it, if similar
        enough, one landmark per keypoint. Matches the pose fit rejected stay rejected: re-linked, they fed depths
        that were off back into the scale (KITTI 01 at 4 px: 574 of 604 re-found landmarks were of matches just
        rejected, their projections 0.8 px towards the focus of expansion on average, i.e. too deep, and the
        re-found keypoints 2.5 px from where the true poses put the landmark, the chain's 1.3 px; ATE 0.33 ->
        0.96 %).
        """
        keyframe = self.keyframes[-1]
        older = [kf for kf in list(self.keyframes)[:-1] if kf.descriptors is not None]
        unlinked = keyframe.landmarks < 0
        unlinked[self.rejected_keypoints] = False
        free = np.flatnonzero(unlinked)
        if self.search_radius_px <= 0 or keyframe.descriptors is None or not older or not len(free):
            return 0
        # The newest observation of each landmark (keyframes newest first, np.unique keeps the first).
        rows = [(kf, np.flatnonzero(kf.landmarks >= 0)) for kf in reversed(older)]
        ids, first = np.unique(np.concatenate([kf.landmarks[index] for kf, index in rows]), return_index=True)
        wanted = (np.isin(ids, list(self.positions)) & ~np.isin(ids, keyframe.landmarks)
                  & ~np.isin(ids, list(self.rejected_landmarks)))
        ids, first = ids[wanted], first[wanted]
        if not len(ids):
            return 0
        descriptors = np.concatenate([kf.descriptors[index] for kf, index in rows])[first].astype(np.float32)
        T = np.linalg.inv(keyframe.T_world_camera)
        Xc = np.stack([self.positions[int(i)] for i in ids]) @ T[:3, :3].T + T[:3, 3]
        front = Xc[:, 2] > 0
        ids, descriptors, Xc = ids[front], descriptors[front], Xc[front]
        if not len(ids):
            return 0
        distance, near = cKDTree(keyframe.normalized[free]).query(
            Xc[:, :2] / Xc[:, 2:], k=CANDIDATES, distance_upper_bound=self.search_radius_px / focal)
        found = np.isfinite(distance)
        candidates = keyframe.descriptors[free[np.where(found, near, 0)]].astype(np.float32)
        similarity = np.where(found, np.einsum("nd,nkd->nk", descriptors, candidates), -np.inf)
        best = np.argmax(similarity, axis=1)
        score = similarity[np.arange(len(ids)), best]
        keypoint = free[np.where(found, near, 0)[np.arange(len(ids)), best]]
        good = np.flatnonzero(score >= MIN_DESCRIPTOR_SIMILARITY)
        good = good[np.argsort(-score[good], kind="stable")]
        _, unique = np.unique(keypoint[good], return_index=True)   # the most similar landmark per keypoint
        good = good[unique]
        keyframe.landmarks[keypoint[good]] = ids[good]
        return len(good)

    def adjust(self, focal: float) -> bool:
        """Bundle-adjust the window: the keyframes' poses, the newest keyframe's points and their angles.

        Landmarks seen by two keyframes or more, one of them free, at an angle of at least `min_angle` take part.

        Landmarks the newest keyframe sees are re-found first (`refind`). False when the window is too short to
        move anything.
        """
        free = min(self.size, len(self.keyframes)) - FIXED_KEYFRAMES
        if free <= 0:
            return False
        self.refind(focal)
        fixed = len(self.keyframes) - free
        camera, keypoint, landmark = [], [], []
        for k, kf in enumerate(self.keyframes):
            index = np.flatnonzero(kf.landmarks >= 0)
            camera.append(np.full(len(index), k))
            keypoint.append(kf.normalized[index])
            landmark.append(kf.landmarks[index])
        camera, observed, landmark = np.concatenate(camera), np.concatenate(keypoint), np.concatenate(landmark)
        ids, inverse, counts = np.unique(landmark, return_inverse=True, return_counts=True)
        seen_free = np.isin(ids, landmark[camera >= fixed])   # landmarks the fixed keyframes alone see stay put
        keep = (counts >= 2) & seen_free & np.isin(ids, list(self.positions))
        if self.min_angle > 0:
            # each landmark's widest triangulation angle among its keyframes' points (in `landmark`'s order)
            angle = np.concatenate([kf.point_angles[kf.landmarks >= 0] for kf in self.keyframes])
            widest = np.zeros(len(ids))
            np.maximum.at(widest, inverse, angle)
            keep &= widest >= self.min_angle
        if not keep.any():
            return False
        shared = keep[inverse]
        ids, point_index = ids[keep], (np.cumsum(keep) - 1)[inverse[shared]]
        T_camera_world = np.stack([np.linalg.inv(kf.T_world_camera) for kf in self.keyframes])
        points = np.stack([self.positions[int(i)] for i in ids])
        T_camera_world, points, inliers = bundle_adjust(T_camera_world, points, camera[shared], point_index,
                                                        observed[shared], focal, self.threshold_px, fixed,
                                                        baselines=self._baselines(fixed))
        for kf, T in zip(list(self.keyframes)[fixed:], T_camera_world[fixed:]):
            kf.T_world_camera = np.linalg.inv(T)
        good = np.bincount(point_index, weights=inliers, minlength=len(ids)) >= 2
        for i, X in zip(ids[good], points[good]):
            self.positions[int(i)] = X
        self._update_points(self.keyframes[-1], ids[good], points[good])
        return True

    def _baselines(self, fixed: int):
        """(a, b, length, sigma) of the wheel-odometry baselines between consecutive keyframes; None without any.

        A keyframe's `wheel_baseline` is its distance from the previous keyframe as the motion prior set it (metres).
        """
        rows = [(k - 1, k, kf.wheel_baseline, max(self.baseline_sigma * kf.wheel_baseline, 1e-3))
                for k, kf in enumerate(self.keyframes)
                if k >= max(fixed, 1) and kf.wheel_baseline is not None and self.baseline_sigma > 0]
        return tuple(np.array(v) for v in zip(*rows)) if rows else None

    def _update_points(self, keyframe: Keyframe, ids: np.ndarray, points_world: np.ndarray) -> None:
        """The newest keyframe's points from the adjusted landmarks.

        Each angle is the widest between the rays from the local map's keyframes (anchors too) that see the landmark.
        """
        if not len(ids):
            return
        row = np.minimum(np.searchsorted(ids, keyframe.landmarks), len(ids) - 1)   # ids are sorted
        index = np.flatnonzero(ids[row] == keyframe.landmarks)
        X = points_world[row[index]]
        T = np.linalg.inv(keyframe.T_world_camera)
        keyframe.points[index] = X @ T[:3, :3].T + T[:3, 3]
        ray = X - keyframe.T_world_camera[:3, 3]
        ray /= np.linalg.norm(ray, axis=1, keepdims=True)
        angle = np.zeros(len(index))
        for kf in list(self.keyframes)[:-1]:
            sees = np.isin(keyframe.landmarks[index], kf.landmarks)
            other = X - kf.T_world_camera[:3, 3]
            other /= np.linalg.norm(other, axis=1, keepdims=True)
            cos = np.clip(np.sum(ray * other, axis=1), -1.0, 1.0)
            angle = np.where(sees, np.maximum(angle, np.arccos(cos)), angle)
        keyframe.point_angles[index] = np.maximum(angle, keyframe.point_angles[index])
