"""The visual-odometry frontend: every frame matched to a keyframe, relative pose by the essential matrix.

    tracker = Tracker(VOConfig(), CameraModel(fx, fy, cx, cy, width, height))
    for image, stamp in frames:
        result = tracker.process(image, stamp)          # result.T_world_camera, result.state, ...

Per frame: extract features once and encode them once (LightGlue's per-image state), match to the cached keyframe
encoding, undistort, essential matrix + refinement (`geometry.relative_pose`), then the scale of the translation:

- monocular: the first keyframe pair with enough parallax fixes the unit (median scene depth 1); the keyframe keeps
  triangulated points at that scale and every later translation is fitted to them (`scale.fit_translation`), new
  keyframes triangulate their correspondences with the previous keyframe at the same scale, so the unit carries over
  (keypoints on edges along their epipolar lines get no depth: their matches slide along the edge, `aperture.py`),
  and after each new keyframe the local map bundle-adjusts the last keyframes and the points they share
  (`local_map.py`), which removes most of the drift of chained two-view estimates;
- RGB-D: keyframe points come from the aligned depth image (metres);
- a per-frame translation-norm prior (wheel odometry) sets the scale directly.

States: INITIALIZING (monocular scale not yet fixed; rotation-only updates), TRACKING, DEGENERATE (translation not
observable or the frame failed: rotation-only update or pose held), LOST (`lost_after_failures` consecutive
failures: the pose stays at the last good one). While frames fail, the latest one is kept as a candidate keyframe
at the last good pose; once LOST, a frame that matches neither the keyframe nor the candidate replaces the candidate,
and a frame that matches the candidate re-initialises there, so the trajectory continues without a jump.

World frame = the first camera's optical frame (x right, y down, z forward), unless `reset` is given another pose.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from enum import Enum
from typing import Optional

import numpy as np

from .aperture import epipolar_directions, gradient_share, structure_tensors
from .camera import CameraModel
from .config import VOConfig
from .geometry import (TwoViewPose, absolute_pose, epipolar_inliers, relative_pose, rotation_parallax,
                       tangent_basis, triangulate)
from .keyframe import Keyframe, KeyframePolicy
from .local_map import LocalMap
from .transforms import invert_transform, make_transform
from .scale import (backproject, depth_to_metres, fit_translation, sample_depth,
                    scale_from_translation_prior)

# Variance (m^2, rad^2) added per frame while the pose is held without a measurement: "unknown" for consumers
# that fuse the odometry, but finite as ROS covariances must be.
HELD_VARIANCE = 1e3


class TrackingState(str, Enum):
    INITIALIZING = "INITIALIZING"
    TRACKING = "TRACKING"
    DEGENERATE = "DEGENERATE"
    LOST = "LOST"


@dataclass
class FrameResult:
    stamp: float
    T_world_camera: np.ndarray          # 4 x 4 world-from-camera, optical axes
    covariance: np.ndarray              # 6 x 6 over (x y z roll pitch yaw) in the world frame, like ROS Odometry
    state: TrackingState
    keyframe_id: int                    # the keyframe this frame was matched against (itself for the first)
    keyframe_stamp: float
    is_keyframe: bool                   # this frame is the keyframe for the next frames
    keypoints: np.ndarray               # N x 2 pixels of this frame
    keyframe_keypoints: np.ndarray      # M x 2 pixels of the keyframe matched against
    matches: np.ndarray                 # K x 2 (keyframe index, frame index)
    scores: np.ndarray                  # K
    inliers: np.ndarray                 # K bool: inliers of the relative pose
    stop_layer: int                     # LightGlue layers run
    num_layers: int
    pruned: tuple                       # points pruned per image (keyframe, frame)
    timings: dict = field(default_factory=dict)  # stage -> milliseconds: extract, encode, match, geometry, total
    model: str = "none"                 # "pnp" (fitted to known points), "essential", "rotation" or "none"
    reason: str = ""                    # why the frame was not fully tracked, or why it became a keyframe

    @property
    def num_inliers(self) -> int:
        return int(self.inliers.sum())


@dataclass
class _Frame:
    stamp: float
    index: int
    features: object
    encoded: object
    keypoints: np.ndarray
    normalized: np.ndarray
    image: np.ndarray
    depth: Optional[np.ndarray]         # metres, NaN invalid

    @cached_property
    def structure(self) -> np.ndarray:
        """N x 3 image structure tensor per keypoint (`aperture.structure_tensors`): only keyframes and
        triangulation need it, so most frames never compute it."""
        return structure_tensors(self.image, self.keypoints)


@dataclass
class _Estimate:
    """One frame against one keyframe."""
    keyframe: Keyframe
    frame: _Frame
    match: object = None                # MatchResult
    pose: Optional[TwoViewPose] = None
    x0: np.ndarray = None
    x1: np.ndarray = None
    T_camera_keyframe: Optional[np.ndarray] = None  # scaled relative pose; None when the frame failed
    covariance: Optional[np.ndarray] = None         # 6 x 6 of the frame in the world (keyframe's included)
    state: TrackingState = TrackingState.DEGENERATE
    reason: str = ""
    num_points: Optional[int] = None                # inliers with a known 3D point (pose from points only)

    @property
    def ok(self) -> bool:
        return self.T_camera_keyframe is not None


class Tracker:
    def __init__(self, config: VOConfig, camera: Optional[CameraModel] = None, matcher=None):
        config.validate()
        self.config = config
        if matcher is None:
            from ..models.matching import FeatureMatcher  # torch models load only when the tracker needs them
            matcher = FeatureMatcher.from_config(config)
        self.matcher = matcher
        self.policy = KeyframePolicy(config)
        self.camera: Optional[CameraModel] = None
        if camera is not None:
            self.set_camera(camera)
        self.reset()

    def update_config(self, config: VOConfig) -> None:
        """Apply changed tracking knobs from the next frame. The models are built once: knobs marked `restart`
        in VOConfig keep the values they had when the matcher was made."""
        config.validate()
        self.config, self.policy = config, KeyframePolicy(config)
        if (self.local_map.size, self.local_map.threshold_px) != (config.local_map_keyframes,
                                                                  config.ransac_threshold_px):
            self.local_map = LocalMap(config.local_map_keyframes, config.ransac_threshold_px)

    def set_camera(self, camera: CameraModel) -> None:
        if not isinstance(camera, CameraModel):
            raise ValueError(f"camera must be a CameraModel, got {type(camera).__name__}")
        self.camera = camera

    def reset(self, T_world_camera: Optional[np.ndarray] = None) -> None:
        """Forget keyframes and scale; the next frame starts a new trajectory at T_world_camera (identity)."""
        T = np.eye(4) if T_world_camera is None else np.asarray(T_world_camera, dtype=np.float64)
        if T.shape != (4, 4) or not np.all(np.isfinite(T)) or not np.allclose(T[3], [0, 0, 0, 1]):
            raise ValueError(f"T_world_camera must be a finite 4 x 4 rigid transform, got shape {T.shape}")
        self.T_world_camera = T
        self.covariance = np.zeros((6, 6))
        self.state = TrackingState.INITIALIZING
        self.keyframe: Optional[Keyframe] = None
        self.candidate: Optional[Keyframe] = None   # re-initialisation keyframe while frames fail
        self.failures = 0
        self.frame_index = 0
        self.next_keyframe_id = 0
        self.unit_depth = 1.0                       # monocular: median scene depth at initialisation
        self.previous_T_camera_keyframe: Optional[tuple] = None  # (keyframe id, T) of the last tracked frame
        self.local_map = LocalMap(self.config.local_map_keyframes, self.config.ransac_threshold_px)

    @staticmethod
    @contextmanager
    def _timer(timings: dict, stage: str):
        """Adds a CPU stage's wall time (ms) to `timings` (model stages use the matcher's timer: CUDA events)."""
        start = time.perf_counter()
        yield
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - start) * 1e3

    # --- input ---------------------------------------------------------------------------------------------
    def _check_input(self, image, depth):
        if self.camera is None:
            raise ValueError("no camera model: call set_camera (or pass camera=) before process")
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or not (
                image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
            desc = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
            raise ValueError(f"image must be an H x W (mono8) or H x W x 3 (rgb8) uint8 array, got {desc}")
        height, width = image.shape[:2]
        if (width, height) != (self.camera.width, self.camera.height):
            raise ValueError(f"image is {width}x{height} but the camera model is "
                             f"{self.camera.width}x{self.camera.height}")
        if depth is None or not self.config.use_depth:
            return None
        depth = depth_to_metres(depth)
        if depth.shape != (height, width):
            raise ValueError(f"depth image {depth.shape[1]}x{depth.shape[0]} does not match the image "
                             f"{width}x{height} (it must be aligned to the colour camera)")
        return depth

    # --- the per-frame pipeline -------------------------------------------------------------------------------
    def process(self, image: np.ndarray, stamp: float, depth: Optional[np.ndarray] = None,
                translation_prior: Optional[float] = None) -> FrameResult:
        start = time.perf_counter()
        depth = self._check_input(image, depth)
        if translation_prior is not None and not (np.isfinite(translation_prior) and translation_prior >= 0):
            raise ValueError(f"translation_prior must be a finite non-negative number, got {translation_prior}")
        timings = {}
        with self.matcher.timer(timings, "extract"):
            features = self.matcher.extract(image)
        with self.matcher.timer(timings, "encode"):
            encoded = self.matcher.encode(features)
        # The frame's only copy of keypoints to the CPU; it also completes the timings' CUDA events.
        keypoints = features.keypoints.detach().float().cpu().numpy().astype(np.float64)
        self.matcher.resolve_timings()
        frame = _Frame(float(stamp), self.frame_index, features, encoded, keypoints,
                       self.camera.undistort_points(keypoints), image, depth)
        self.frame_index += 1

        if self.keyframe is None:
            self.keyframe = self._new_keyframe(frame, self.T_world_camera, self.covariance)
            self._add_to_local_map(self.keyframe, None)
            self.state = TrackingState.TRACKING if self.keyframe.num_points >= self.config.min_scale_points \
                else TrackingState.INITIALIZING
            return self._result(frame, None, timings, start, is_keyframe=True, reason="first frame")

        estimate = self._estimate(self.keyframe, frame, translation_prior, timings)
        if not estimate.ok and self.state == TrackingState.LOST and self.candidate is not None:
            recovered = self._estimate(self.candidate, frame, translation_prior, timings)
            if recovered.ok:
                # Re-initialise at the candidate: it sits at the last good pose, so there is no jump.
                self.keyframe, self.candidate, estimate = self.candidate, None, recovered

        if not estimate.ok:
            return self._failed(frame, estimate, timings, start)

        self.failures = 0
        self.candidate = None
        kf = estimate.keyframe
        self.T_world_camera = kf.T_world_camera @ invert_transform(estimate.T_camera_keyframe)
        self.covariance = estimate.covariance
        self.state = estimate.state
        self.previous_T_camera_keyframe = (kf.id, estimate.T_camera_keyframe)
        reason = self._keyframe_reason(estimate, frame)
        if reason:
            self.keyframe = self._new_keyframe(frame, self.T_world_camera, self.covariance, estimate)
            self._add_to_local_map(self.keyframe, estimate)
            if self.state == TrackingState.INITIALIZING and self.keyframe.num_points >= \
                    self.config.min_scale_points:
                self.state = TrackingState.TRACKING
        return self._result(frame, estimate, timings, start, is_keyframe=bool(reason),
                            reason=reason or estimate.reason)

    def _failed(self, frame: _Frame, estimate: _Estimate, timings: dict, start: float) -> FrameResult:
        """Hold the pose; count the failure; keep this frame as the candidate for re-initialisation."""
        self.failures += 1
        self.state = TrackingState.LOST if self.failures >= self.config.lost_after_failures \
            else TrackingState.DEGENERATE
        self.covariance = self.covariance + np.eye(6) * HELD_VARIANCE
        self.previous_T_camera_keyframe = None
        if len(frame.keypoints) >= self.config.min_inliers:
            self.candidate = self._new_keyframe(frame, self.T_world_camera, self.covariance)
        return self._result(frame, estimate, timings, start, is_keyframe=False, reason=estimate.reason)

    def _estimate(self, kf: Keyframe, frame: _Frame, prior: Optional[float], timings: dict) -> _Estimate:
        cfg = self.config
        estimate = _Estimate(kf, frame)
        if len(frame.keypoints) < cfg.min_inliers or len(kf.keypoints) < cfg.min_inliers:
            estimate.reason = f"too few keypoints ({len(frame.keypoints)} in the frame, {len(kf.keypoints)} " \
                              f"in the keyframe)"
            return estimate
        estimate.match = self.matcher.match(kf.encoded, frame.encoded)
        timings["match"] = timings.get("match", 0.0) + estimate.match.timings.get("match", 0.0)
        with self._timer(timings, "geometry"):
            self._solve(estimate, frame, prior)
        return estimate

    def _solve(self, estimate: _Estimate, frame: _Frame, prior: Optional[float]) -> None:
        """Relative pose of the frame to the keyframe, with its scale, state and world covariance.

        With enough of the keyframe's 3D points matched, the pose is fitted to them (PnP): rotation and scaled
        translation at once, well posed at any baseline. Else the essential matrix: the monocular initialisation,
        or a fallback (translation fitted to the few known points, or rotation only).
        """
        cfg, kf = self.config, estimate.keyframe
        m = estimate.match.matches
        estimate.x0, estimate.x1 = kf.normalized[m[:, 0]], frame.normalized[m[:, 1]]
        if kf.num_points >= cfg.min_scale_points and self._track_points(estimate, kf, prior):
            return
        pose = relative_pose(estimate.x0, estimate.x1, self.camera.focal, threshold_px=cfg.ransac_threshold_px,
                             confidence=cfg.ransac_confidence, max_iters=cfg.ransac_max_iters,
                             min_inliers=cfg.min_inliers, min_parallax_px=cfg.min_parallax_px)
        estimate.pose = pose
        if pose.model == "none":
            estimate.reason = "; ".join(filter(None, [estimate.reason, pose.reason]))
            return
        if kf.num_points < cfg.min_scale_points:
            self._initialise(estimate, kf, prior)
            return
        if prior is not None and pose.model == "essential":
            t, t_cov = self._prior_scale(kf, pose.R, pose.t, prior) * pose.t, np.zeros((3, 3))
        else:
            fitted = self._fit_translation(estimate, kf, pose)
            if fitted is None:
                # Neither the epipolar geometry nor the points pin the translation down: rotation only.
                estimate.state = TrackingState.DEGENERATE
                estimate.reason = "; ".join(filter(None, [pose.reason, estimate.reason]))
                self._accept(estimate, pose.R, np.zeros(3))
                return
            t, t_cov = fitted
        estimate.state = TrackingState.TRACKING
        self._accept(estimate, pose.R, t, t_cov)
        if not kf.metric and self.config.refine_points:
            self._refine_points(estimate, kf)

    def _track_points(self, estimate: _Estimate, kf: Keyframe, prior: Optional[float]) -> bool:
        """PnP against the keyframe's known points; False (and a reason) when they do not give a pose."""
        cfg, focal = self.config, self.camera.focal
        keyframe_index = estimate.match.matches[:, 0]
        known = kf.known[keyframe_index]
        usable = np.flatnonzero(known)
        fitted = None
        if len(usable) >= cfg.min_scale_points:
            fitted = absolute_pose(kf.points[keyframe_index[usable]], estimate.x1[usable], focal,
                                   threshold_px=cfg.pnp_threshold_px, confidence=cfg.ransac_confidence,
                                   max_iters=min(cfg.ransac_max_iters, 1000), min_inliers=cfg.min_scale_points,
                                   epipolar=(estimate.x0, estimate.x1) if cfg.pnp_epipolar else None,
                                   angles=kf.point_angles[keyframe_index[usable]])
        if fitted is None:
            estimate.reason = f"pose from {len(usable)} known points failed"
            return False
        R, t, point_inliers, covariance = fitted
        inliers = np.zeros(len(keyframe_index), bool)
        inliers[usable[point_inliers]] = True
        # Matches without a 3D point count as inliers when they agree with the epipolar geometry of that pose
        # (they are the ones a later frame or keyframe triangulates).
        length = np.linalg.norm(t)
        if length > 0 and (~known).any():
            inliers[~known] = epipolar_inliers(R, t / length, estimate.x0[~known], estimate.x1[~known],
                                               cfg.ransac_threshold_px / focal)
        if inliers.sum() < cfg.min_inliers:
            estimate.reason = f"{inliers.sum()} inliers of the pose from known points, need {cfg.min_inliers}"
            return False
        parallax_px = float(np.median(rotation_parallax(R, estimate.x0[inliers], estimate.x1[inliers]))) * focal
        rotation_covariance = np.full((5, 5), np.nan)
        rotation_covariance[:3, :3] = covariance[:3, :3]
        estimate.pose = TwoViewPose("pnp", R, t, inliers, parallax_px, rotation_covariance)
        estimate.num_points = int(point_inliers.sum())
        t_cov = covariance[3:, 3:]
        if prior is not None and not kf.metric and length > 0:
            # A motion prior sets the length of a monocular translation; the points give its direction.
            t = self._prior_scale(kf, R, t / length, prior) * t / length
        estimate.state = TrackingState.TRACKING
        self._accept(estimate, R, t, t_cov)
        if not kf.metric and self.config.refine_points:
            self._refine_points(estimate, kf)
        return True

    def _initialise(self, estimate: _Estimate, kf: Keyframe, prior: Optional[float]) -> None:
        """Monocular, no points yet: rotation-only updates until the pair has parallax enough to fix the unit.

        The pair that first has it triangulates the keyframe's points at the unit scale; frames after it fit their
        poses to those points (and refine them as the baseline grows)."""
        pose = estimate.pose
        if pose.model == "rotation" or pose.parallax_px < self.config.init_min_parallax_px:
            estimate.state = TrackingState.INITIALIZING
            estimate.reason = f"initialising: parallax {pose.parallax_px:.1f} px < " \
                              f"{self.config.init_min_parallax_px} px"
            self._accept(estimate, pose.R, np.zeros(3))
            return
        scale = self._initial_scale(estimate, kf, prior)
        if scale is not None:
            estimate.state = TrackingState.TRACKING
            self._accept(estimate, pose.R, scale * pose.t, np.zeros((3, 3)))
            self._refine_points(estimate, kf)
            estimate.reason = "initialised the scale"

    def _inlier_points(self, estimate: _Estimate, t: Optional[np.ndarray] = None):
        """Keyframe indices of the inliers and their triangulation in keyframe coordinates.

        With the accepted (scaled) relative pose unless `t` is given. Returns (index, X, angle, good) where good
        marks points in front of both views whose rays meet at `min_triangulation_angle_deg` or more and whose
        keypoints both sit on enough image gradient along their epipolar lines (`aperture.py`).
        """
        pose = estimate.pose
        R = pose.R
        if t is None:
            R, t = estimate.T_camera_keyframe[:3, :3], estimate.T_camera_keyframe[:3, 3]
        inliers = pose.inliers
        x0, x1 = estimate.x0[inliers], estimate.x1[inliers]
        X, angle = triangulate(R, t, x0, x1)
        depth1 = X @ R[2] + t[2]
        i0, i1 = estimate.match.matches[inliers].T
        focal_xy = np.array([self.camera.fx, self.camera.fy])
        share = np.minimum(
            gradient_share(estimate.keyframe.structure[i0], epipolar_directions(x0, -R.T @ t, focal_xy)),
            gradient_share(estimate.frame.structure[i1], epipolar_directions(x1, t, focal_xy)))
        good = (angle >= np.radians(self.config.min_triangulation_angle_deg)) & (X[:, 2] > 0) & (depth1 > 0) & \
            (share >= self.config.min_epipolar_gradient)
        return i0, X, angle, good

    def _initial_scale(self, estimate: _Estimate, kf: Keyframe, prior: Optional[float]) -> Optional[float]:
        """The unit of a monocular trajectory: the median scene depth of the first pair is `unit_depth`."""
        pose = estimate.pose
        if prior is not None:
            return self._prior_scale(kf, pose.R, pose.t, prior)
        _, X, _, good = self._inlier_points(estimate, t=pose.t)
        if good.sum() < self.config.min_scale_points:
            estimate.reason = f"initialising: {good.sum()} well-triangulated points, " \
                              f"need {self.config.min_scale_points}"
            return None
        return self.unit_depth / float(np.median(X[good, 2]))

    def _prior_scale(self, kf: Keyframe, R: np.ndarray, direction: np.ndarray, prior: float) -> float:
        direction_world = kf.T_world_camera[:3, :3] @ (-R.T @ direction)
        return scale_from_translation_prior(direction_world, kf.T_world_camera[:3, 3], self.T_world_camera[:3, 3],
                                            prior)

    def _fit_translation(self, estimate: _Estimate, kf: Keyframe, pose: TwoViewPose):
        """Translation from the keyframe's known points: (t, 3 x 3 covariance) or None.

        With wide parallax the essential matrix's direction is the better one and only its length is fitted; with
        little parallax (or metric points from a depth image) all three components are fitted to the points, as
        the direction of a short baseline is mostly noise while the points still pin the camera down.
        """
        keyframe_index = estimate.match.matches[:, 0]
        usable = pose.inliers & kf.known[keyframe_index]
        if usable.sum() >= self.config.min_scale_points:
            along_essential = pose.model == "essential" and not kf.metric and \
                pose.parallax_px >= self.config.init_min_parallax_px
            fitted = fit_translation(pose.R, kf.points[keyframe_index[usable]], estimate.x1[usable],
                                     self.config.ransac_threshold_px / self.camera.focal,
                                     direction=pose.t if along_essential else None)
            if fitted is not None and fitted[1].sum() >= self.config.min_scale_points and \
                    (not along_essential or fitted[0] @ pose.t > 0):
                return fitted[0], fitted[2]
        estimate.reason = f"{usable.sum()} inliers with known depth, need {self.config.min_scale_points}"
        return None

    def _refine_points(self, estimate: _Estimate, kf: Keyframe) -> None:
        """Triangulate (again) keyframe points that this frame sees at a wider angle than before."""
        index, X, angle, good = self._inlier_points(estimate)
        better = good & (angle > kf.point_angles[index])
        kf.points[index[better]] = X[better]
        kf.point_angles[index[better]] = angle[better]

    def _accept(self, estimate: _Estimate, R: np.ndarray, t: np.ndarray, t_cov: Optional[np.ndarray] = None) -> None:
        """Take the relative pose; `t_cov` is the covariance of the translation's fit (None: not observed)."""
        estimate.T_camera_keyframe = make_transform(R, t)
        estimate.covariance = self._world_covariance(estimate, t_cov)

    # --- covariance --------------------------------------------------------------------------------------------
    def _world_covariance(self, estimate: _Estimate, t_cov: Optional[np.ndarray]) -> np.ndarray:
        """Keyframe covariance plus the relative pose's, rotated into the world; (x y z roll pitch yaw) order.

        The relative covariance comes from the inlier geometry: the refined essential matrix's rotation block and
        translation-direction block (scaled by the translation length) plus the covariance of the translation's
        fit to known points; when translation is not observed (rotation-only update) its uncertainty is what
        `min_parallax_px` could hide at the scene depth.
        """
        kf, pose = estimate.keyframe, estimate.pose
        T = estimate.T_camera_keyframe
        R_world_camera = kf.T_world_camera[:3, :3] @ T[:3, :3].T
        cov5 = pose.covariance
        rotation = cov5[:3, :3] if np.all(np.isfinite(cov5[:3, :3])) else \
            np.eye(3) * (self.config.ransac_threshold_px / self.camera.focal) ** 2
        length = np.linalg.norm(T[:3, 3])
        if t_cov is not None and length > 0:
            translation = t_cov.copy()
            if np.all(np.isfinite(cov5[3:, 3:])):
                basis = tangent_basis(T[:3, 3] / length)
                translation += length ** 2 * basis @ cov5[3:, 3:] @ basis.T
        else:
            depth = kf.median_depth if kf.num_points else self.unit_depth
            translation = np.eye(3) * (self.config.min_parallax_px / self.camera.focal * depth) ** 2
        relative = np.zeros((6, 6))
        relative[:3, :3] = R_world_camera @ translation @ R_world_camera.T  # camera centre -R^T t, into the world
        relative[3:, 3:] = R_world_camera @ rotation @ R_world_camera.T
        return kf.covariance + relative

    # --- keyframes ---------------------------------------------------------------------------------------------
    def _keyframe_reason(self, estimate: _Estimate, frame: _Frame) -> str:
        kf = estimate.keyframe
        if estimate.state == TrackingState.INITIALIZING:
            return ""  # keep the first keyframe until the pair has enough parallax
        reason = self.policy.reason(estimate.pose.num_inliers, len(estimate.match.matches),
                                    estimate.pose.parallax_px, kf.age(frame.index), estimate.num_points)
        return f"new keyframe: {reason}" if reason else ""

    def _new_keyframe(self, frame: _Frame, T_world_camera: np.ndarray, covariance: np.ndarray,
                      estimate: Optional[_Estimate] = None) -> Keyframe:
        n = len(frame.keypoints)
        points = np.full((n, 3), np.nan)
        angles = np.zeros(n)
        metric = frame.depth is not None
        if metric:
            z = sample_depth(frame.depth, frame.keypoints, self.config.depth_min_m, self.config.depth_max_m,
                             self.config.depth_edge_ratio)
            points = backproject(frame.normalized, z)
            angles[:] = np.inf
        elif estimate is not None and estimate.ok:
            self._carry_points(estimate, points, angles)
        keyframe = Keyframe(self.next_keyframe_id, frame.stamp, frame.index, T_world_camera.copy(),
                            covariance.copy(), frame.features, frame.encoded, frame.keypoints, frame.normalized,
                            frame.structure, points, angles, metric)
        self.next_keyframe_id += 1
        if keyframe.num_points and not metric:
            self.unit_depth = keyframe.median_depth  # the scale a monocular re-initialisation starts from
        return keyframe

    def _add_to_local_map(self, keyframe: Keyframe, estimate: Optional[_Estimate]) -> None:
        """Monocular: link the keyframe to the previous one's landmarks and bundle-adjust the window; the frame
        takes the adjusted pose."""
        if keyframe.metric:
            return
        if estimate is None:
            self.local_map.add(keyframe)
            return
        self.local_map.add(keyframe, estimate.keyframe, estimate.match.matches[estimate.pose.inliers])
        if self.local_map.adjust(self.camera.focal):
            self.T_world_camera = keyframe.T_world_camera.copy()

    def _carry_points(self, estimate: _Estimate, points: np.ndarray, angles: np.ndarray) -> None:
        """Points of the new keyframe, in its coordinates at the running scale.

        Correspondences with the previous keyframe are triangulated with the scaled relative pose; where the rays
        meet at too small an angle (or after a rotation-only update), the previous keyframe's point (if known) is
        transformed instead.
        """
        kf, T = estimate.keyframe, estimate.T_camera_keyframe
        m = estimate.match.matches[estimate.pose.inliers]
        old = kf.known[m[:, 0]]
        points[m[old, 1]] = kf.points[m[old, 0]] @ T[:3, :3].T + T[:3, 3]
        angles[m[old, 1]] = kf.point_angles[m[old, 0]]
        if np.linalg.norm(T[:3, 3]) > 0:
            _, X, angle, good = self._inlier_points(estimate)
            better = good & (angle > angles[m[:, 1]])
            points[m[better, 1]] = X[better] @ T[:3, :3].T + T[:3, 3]
            angles[m[better, 1]] = angle[better]

    # --- output ------------------------------------------------------------------------------------------------
    def _result(self, frame: _Frame, estimate: Optional[_Estimate], timings: dict, start: float,
                is_keyframe: bool, reason: str) -> FrameResult:
        empty = np.zeros((0, 2), np.int64)
        match = estimate.match if estimate is not None else None
        keyframe = estimate.keyframe if estimate is not None else self.keyframe
        if match is not None:
            matches, scores = match.matches, match.scores
            inliers = estimate.pose.inliers if estimate.pose is not None else np.zeros(len(matches), bool)
        else:
            matches, scores, inliers = empty, np.zeros(0, np.float32), np.zeros(0, bool)
        timings = dict(timings)
        timings.setdefault("match", 0.0)
        timings.setdefault("geometry", 0.0)
        timings["total"] = (time.perf_counter() - start) * 1e3
        return FrameResult(
            stamp=frame.stamp, T_world_camera=self.T_world_camera.copy(), covariance=self.covariance.copy(),
            state=self.state, keyframe_id=keyframe.id, keyframe_stamp=keyframe.stamp,
            is_keyframe=is_keyframe, keypoints=frame.keypoints, keyframe_keypoints=keyframe.keypoints,
            matches=matches, scores=scores, inliers=inliers,
            stop_layer=match.stop_layer if match is not None else 0,
            num_layers=match.num_layers if match is not None else 0,
            pruned=match.pruned if match is not None else (0, 0), timings=timings,
            model=estimate.pose.model if estimate is not None and estimate.pose is not None else "none",
            reason=reason)
