# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Pose solvers: a frame matched to a keyframe in, a `PoseHypothesis` out, nothing changed.

`PoseSolver.solve` tries them in order:

1. `pnp`: the pose fitted to the keyframe's known 3D points (`geometry.absolute_pose`): rotation and scaled
   translation at once, well posed at any baseline. The main path once the scale is known.
2. `initialise`: monocular, no points yet: rotation only until the pair has enough parallax; the pair that first
   has it fixes the unit (median scene depth `unit_depth`, or the motion prior).
3. `essential`: the fallback when PnP fails: the essential matrix's rotation with its translation scaled by the
   motion prior or fitted to the few known points (`scale.fit_translation`), else rotation only.

Each hypothesis carries the solver, the relative pose at the running scale (`T_camera_keyframe`), the frame's world
covariance, the inliers, the state the frame gets if it is taken, and the reason when there is no pose.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Optional

import numpy as np

from .aperture import epipolar_directions, gradient_share, structure_tensors
from .camera import CameraModel
from .config import VOConfig
from .geometry import (TwoViewPose, absolute_pose, epipolar_inliers, relative_pose, rotation_parallax,
                       tangent_basis, triangulate)
from .keyframe import Keyframe
from .scale import fit_translation, scale_from_translation_prior
from .transforms import make_transform


class TrackingState(str, Enum):
    INITIALIZING = "INITIALIZING"
    TRACKING = "TRACKING"
    DEGENERATE = "DEGENERATE"
    LOST = "LOST"


class Solver(str, Enum):
    """Where a frame's pose came from."""

    PNP = "pnp"                # fitted to the keyframe's known 3D points
    ESSENTIAL = "essential"    # essential matrix; translation scaled by a prior, known points or initialisation
    ROTATION = "rotation"      # rotation of the two views; translation fitted to known points, or unobservable
    NONE = "none"              # no pose: held at the last good one


@dataclass
class Frame:
    """A frame as the tracker sees it: features encoded on the compute device, keypoints on the CPU."""

    stamp: float
    index: int
    encoded: object                     # matcher EncodedFeatures (features included), on the compute device
    keypoints: np.ndarray
    normalized: np.ndarray
    image: np.ndarray
    depth: Optional[np.ndarray]         # metres, NaN invalid

    @cached_property
    def structure(self) -> np.ndarray:
        """N x 3 image structure tensor per keypoint (`aperture.structure_tensors`).

        Only keyframes and triangulation need it, so most frames never compute it.
        """
        return structure_tensors(self.image, self.keypoints)


@dataclass
class MatchedPair:
    """A frame matched to a keyframe: the input of every solver."""

    keyframe: Keyframe
    frame: Frame
    match: object                       # MatchResult
    x0: np.ndarray                      # K x 2 undistorted normalized keyframe coordinates of the matches
    x1: np.ndarray                      # K x 2 the same for the frame


@dataclass
class PoseHypothesis:
    """What one solver makes of a frame against a keyframe; without a pose, `reason` says why."""

    solver: Solver
    inliers: np.ndarray                             # K bool over the matches
    T_camera_keyframe: Optional[np.ndarray] = None  # 4 x 4 at the running scale; None: no pose
    covariance: Optional[np.ndarray] = None         # 6 x 6 of the frame in the world (keyframe's included)
    state: TrackingState = TrackingState.DEGENERATE  # the frame's state if the hypothesis is taken
    parallax_px: float = 0.0                        # median rotation-compensated motion of the inliers
    num_points: Optional[int] = None                # inliers with a known 3D point (PnP only)
    refines_points: bool = False                    # taking it re-triangulates keyframe points from this frame
    reason: str = ""
    prior_used: bool = False                        # the motion prior set the translation's length
    prior_reason: str = ""                          # why a motion prior given was not used
    sets_scale: bool = False                        # monocular initialisation: the pair fixes the unit
    seen_position: Optional[np.ndarray] = None      # where the images alone put the camera (world; PnP)

    @property
    def ok(self) -> bool:
        return self.T_camera_keyframe is not None

    @classmethod
    def failed(cls, reason: str, inliers: np.ndarray) -> PoseHypothesis:
        """No pose: the frame is held; `inliers` are what the solver had (reported with the frame)."""
        return cls(Solver.NONE, inliers, reason=reason)


def _join(*reasons: str) -> str:
    return "; ".join(filter(None, reasons))


def triangulate_inliers(pair: MatchedPair, inliers: np.ndarray, R: np.ndarray, t: np.ndarray, config: VOConfig,
                        camera: CameraModel):
    """Keyframe indices of the inliers and their triangulation in keyframe coordinates with pose (R, t).

    Returns (index, X, angle, good) where good marks points in front of both views whose rays meet at
    `min_triangulation_angle_deg` or more and whose keypoints both sit on enough image gradient along their
    epipolar lines (`aperture.py`).
    """
    x0, x1 = pair.x0[inliers], pair.x1[inliers]
    X, angle = triangulate(R, t, x0, x1)
    depth1 = X @ R[2] + t[2]
    i0, i1 = pair.match.matches[inliers].T
    focal_xy = np.array([camera.fx, camera.fy])
    share = np.minimum(
        gradient_share(pair.keyframe.structure[i0], epipolar_directions(x0, -R.T @ t, focal_xy)),
        gradient_share(pair.frame.structure[i1], epipolar_directions(x1, t, focal_xy)))
    good = (angle >= np.radians(config.min_triangulation_angle_deg)) & (X[:, 2] > 0) & (depth1 > 0) & \
        (share >= config.min_epipolar_gradient)
    return i0, X, angle, good


@dataclass
class MotionPrior:
    """The distance travelled (e.g. wheel odometry, metres): sets a monocular translation's length."""

    distance: float                     # since `from_position_world`
    from_position_world: np.ndarray     # where the distance is counted from (the keyframe's position)
    window_distance: float = 0.0        # the priors' distance over the last frames (this one's included) ...
    window_from: Optional[np.ndarray] = None  # ... since the images put the camera here (world)
    step: float = 0.0                   # this frame's prior ...
    step_from: Optional[np.ndarray] = None    # ... since the images put the previous frame here (world)
    check: bool = False                 # the map is in the prior's units: a disagreement is detectable


class PoseSolver:
    """The solvers for one frame; each method returns a hypothesis and changes nothing."""

    def __init__(self, config: VOConfig, camera: CameraModel, unit_depth: float):
        self.config, self.camera, self.unit_depth = config, camera, unit_depth

    def solve(self, pair: MatchedPair, prior: Optional[MotionPrior]) -> PoseHypothesis:
        """Fit the pose to the keyframe's points (PnP) when it has enough; else, or when that fails, two views."""
        cfg, keyframe = self.config, pair.keyframe
        pnp_failure = ""
        if keyframe.num_points >= cfg.min_scale_points:
            hypothesis = self.pnp(pair, prior)
            if hypothesis.ok:
                return hypothesis
            pnp_failure = hypothesis.reason
        two_view = relative_pose(pair.x0, pair.x1, self.camera.focal, threshold_px=cfg.ransac_threshold_px,
                                 confidence=cfg.ransac_confidence, max_iters=cfg.ransac_max_iters,
                                 min_inliers=cfg.min_inliers, min_parallax_px=cfg.min_parallax_px)
        if two_view.model == "none":
            return PoseHypothesis.failed(_join(pnp_failure, two_view.reason), two_view.inliers)
        if keyframe.num_points < cfg.min_scale_points:
            return self.initialise(pair, two_view, prior)
        hypothesis = self.essential(pair, two_view, prior)
        hypothesis.reason = _join(pnp_failure, hypothesis.reason)
        return hypothesis

    def pnp(self, pair: MatchedPair, prior: Optional[MotionPrior]) -> PoseHypothesis:
        """The pose fitted to the keyframe's known points (PnP), plus the matches without a point that agree."""
        cfg, focal, keyframe = self.config, self.camera.focal, pair.keyframe
        keyframe_index = pair.match.matches[:, 0]
        known = keyframe.known[keyframe_index]
        usable = np.flatnonzero(known)
        no_inliers = np.zeros(len(keyframe_index), bool)
        fitted = None
        if len(usable) >= cfg.min_scale_points:
            fitted = absolute_pose(keyframe.points[keyframe_index[usable]], pair.x1[usable], focal,
                                   threshold_px=cfg.pnp_threshold_px, confidence=cfg.ransac_confidence,
                                   max_iters=min(cfg.ransac_max_iters, 1000), min_inliers=cfg.min_scale_points,
                                   epipolar=(pair.x0, pair.x1) if cfg.pnp_epipolar else None,
                                   angles=keyframe.point_angles[keyframe_index[usable]])
        if fitted is None:
            return PoseHypothesis.failed(f"pose from {len(usable)} known points failed", no_inliers)
        R, t, point_inliers, covariance = fitted
        inliers = no_inliers.copy()
        inliers[usable[point_inliers]] = True
        # Matches without a 3D point count as inliers when they agree with the epipolar geometry of that pose
        # (they are the ones a later frame or keyframe triangulates).
        length = np.linalg.norm(t)
        if length > 0 and (~known).any():
            inliers[~known] = epipolar_inliers(R, t / length, pair.x0[~known], pair.x1[~known],
                                               cfg.ransac_threshold_px / focal)
        if inliers.sum() < cfg.min_inliers:
            return PoseHypothesis.failed(f"{inliers.sum()} inliers of the pose from known points, need "
                                         f"{cfg.min_inliers}", no_inliers)
        parallax_px = float(np.median(rotation_parallax(R, pair.x0[inliers], pair.x1[inliers]))) * focal
        prior_used, prior_reason, seen_position = False, "", None
        if prior is not None and not keyframe.metric and length > 0:
            # A motion prior sets the length of a monocular translation; the points give its direction.
            seen_position = keyframe.T_world_camera[:3, :3] @ (-R.T @ t) + keyframe.T_world_camera[:3, 3]
            prior_reason = self.prior_disagreement(seen_position, prior)
            if not prior_reason:
                t = self._prior_scale(keyframe, R, t / length, prior) * t / length
                prior_used = True
        T_camera_keyframe = make_transform(R, t)
        return PoseHypothesis(
            Solver.PNP, inliers, T_camera_keyframe,
            self.frame_covariance(keyframe, T_camera_keyframe, covariance[:3, :3], covariance[3:, 3:]),
            TrackingState.TRACKING, parallax_px, num_points=int(point_inliers.sum()),
            refines_points=not keyframe.metric and cfg.refine_points, prior_used=prior_used,
            prior_reason=prior_reason, seen_position=seen_position)

    def prior_disagreement(self, seen_position: np.ndarray, prior: MotionPrior) -> str:
        """Why the prior is not trusted, '' when it is; known once the map is in the prior's units.

        Wheels that spin on a lifted robot, or slip, report motion the images do not see: this frame's prior, or
        the priors of the last frames (`VOConfig.wheel_check_window_s`), add up to a distance the images' positions
        do not (the step catches a fast robot at once, the window a slow one whose steps are within the noise).
        """
        cfg = self.config
        if not prior.check or prior.window_from is None:
            return ""
        for distance, since, what in ((prior.step, prior.step_from, "since the previous frame"),
                                      (prior.window_distance, prior.window_from,
                                       f"over the last {cfg.wheel_check_window_s:g} s")):
            seen = float(np.linalg.norm(seen_position - since))
            if abs(distance - seen) > max(cfg.wheel_max_disagreement * distance, cfg.wheel_min_disagreement_m):
                return (f"translation prior not trusted: {distance:.3f} m {what}, the images see {seen:.3f} m "
                        "(wheel slip, or a robot lifted off the ground)")
        return ""

    def initialise(self, pair: MatchedPair, two_view: TwoViewPose, prior: Optional[MotionPrior]) -> PoseHypothesis:
        """Monocular, no points yet: rotation-only updates until the pair has parallax enough to fix the unit.

        The pair that first has it sets the scale (median scene depth `unit_depth`, or the motion prior) and
        triangulates the keyframe's points; frames after it fit their poses to those points.
        """
        cfg, keyframe = self.config, pair.keyframe
        if two_view.model == "rotation" or two_view.parallax_px < cfg.init_min_parallax_px:
            return self._rotation_only(pair, two_view, TrackingState.INITIALIZING,
                                       f"initialising: parallax {two_view.parallax_px:.1f} px < "
                                       f"{cfg.init_min_parallax_px} px")
        if prior is not None:
            scale = self._prior_scale(keyframe, two_view.R, two_view.t, prior)
            if scale <= 0:
                return PoseHypothesis.failed(f"initialising: parallax {two_view.parallax_px:.1f} px but the "
                                             f"translation prior says {prior.distance:.3f} m", two_view.inliers)
            hypothesis = self._essential_pose(pair, two_view, scale * two_view.t, np.zeros((3, 3)),
                                              refines_points=True, reason="initialised the scale from the prior")
            hypothesis.prior_used = hypothesis.sets_scale = True
            return hypothesis
        _, X, _, good = triangulate_inliers(pair, two_view.inliers, two_view.R, two_view.t, cfg, self.camera)
        if good.sum() < cfg.min_scale_points:
            return PoseHypothesis.failed(f"initialising: {good.sum()} well-triangulated points, need "
                                         f"{cfg.min_scale_points}", two_view.inliers)
        scale = self.unit_depth / float(np.median(X[good, 2]))
        hypothesis = self._essential_pose(pair, two_view, scale * two_view.t, np.zeros((3, 3)), refines_points=True,
                                          reason="initialised the scale")
        hypothesis.sets_scale = True
        return hypothesis

    def essential(self, pair: MatchedPair, two_view: TwoViewPose, prior: Optional[MotionPrior]) -> PoseHypothesis:
        """The essential matrix's rotation with its translation scaled by the motion prior or the known points.

        Rotation only when neither pins the translation down.
        """
        cfg, keyframe = self.config, pair.keyframe
        if prior is not None and two_view.model == "essential":
            t = self._prior_scale(keyframe, two_view.R, two_view.t, prior) * two_view.t
            hypothesis = self._essential_pose(pair, two_view, t, np.zeros((3, 3)),
                                              refines_points=not keyframe.metric and cfg.refine_points)
            hypothesis.prior_used = True
            return hypothesis
        fitted = self._fit_translation(pair, two_view)
        if isinstance(fitted, str):
            return self._rotation_only(pair, two_view, TrackingState.DEGENERATE, _join(two_view.reason, fitted))
        t, translation_covariance = fitted
        return self._essential_pose(pair, two_view, t, translation_covariance,
                                    refines_points=not keyframe.metric and cfg.refine_points)

    def _essential_pose(self, pair: MatchedPair, two_view: TwoViewPose, t: np.ndarray, translation_covariance,
                        refines_points: bool, reason: str = "") -> PoseHypothesis:
        """The two-view rotation with a translation at the running scale: the frame is tracked."""
        T_camera_keyframe = make_transform(two_view.R, t)
        covariance = self.frame_covariance(pair.keyframe, T_camera_keyframe, two_view.covariance[:3, :3],
                                           translation_covariance, two_view.covariance[3:, 3:])
        return PoseHypothesis(Solver(two_view.model), two_view.inliers, T_camera_keyframe, covariance,
                              TrackingState.TRACKING, two_view.parallax_px, refines_points=refines_points,
                              reason=reason)

    def _rotation_only(self, pair: MatchedPair, two_view: TwoViewPose, state: TrackingState,
                       reason: str) -> PoseHypothesis:
        """The rotation of the two-view model; the camera stays at the keyframe's position."""
        T_camera_keyframe = make_transform(two_view.R, np.zeros(3))
        covariance = self.frame_covariance(pair.keyframe, T_camera_keyframe, two_view.covariance[:3, :3])
        return PoseHypothesis(Solver.ROTATION, two_view.inliers, T_camera_keyframe, covariance, state,
                              two_view.parallax_px, reason=reason)

    def _fit_translation(self, pair: MatchedPair, two_view: TwoViewPose):
        """Translation from the keyframe's known points: (t, 3 x 3 covariance), or why not (a string).

        With wide parallax the essential matrix's direction is the better one and only its length is fitted; with
        little parallax (or metric points from a depth image) all three components are fitted to the points, as
        the direction of a short baseline is mostly noise while the points still pin the camera down.
        """
        cfg, keyframe = self.config, pair.keyframe
        keyframe_index = pair.match.matches[:, 0]
        usable = two_view.inliers & keyframe.known[keyframe_index]
        if usable.sum() >= cfg.min_scale_points:
            along_essential = two_view.model == "essential" and not keyframe.metric and \
                two_view.parallax_px >= cfg.init_min_parallax_px
            fitted = fit_translation(two_view.R, keyframe.points[keyframe_index[usable]], pair.x1[usable],
                                     cfg.ransac_threshold_px / self.camera.focal,
                                     direction=two_view.t if along_essential else None)
            if fitted is not None and fitted[1].sum() >= cfg.min_scale_points and \
                    (not along_essential or fitted[0] @ two_view.t > 0):
                return fitted[0], fitted[2]
        return f"{usable.sum()} inliers with known depth, need {cfg.min_scale_points}"

    def _prior_scale(self, keyframe: Keyframe, R: np.ndarray, direction: np.ndarray, prior: MotionPrior) -> float:
        direction_world = keyframe.T_world_camera[:3, :3] @ (-R.T @ direction)
        return scale_from_translation_prior(direction_world, keyframe.T_world_camera[:3, 3],
                                            prior.from_position_world, prior.distance)

    def frame_covariance(self, keyframe: Keyframe, T_camera_keyframe: np.ndarray, rotation_covariance: np.ndarray,
                         translation_covariance: Optional[np.ndarray] = None,
                         direction_covariance: Optional[np.ndarray] = None) -> np.ndarray:
        """Keyframe covariance plus the relative pose's, rotated into the world; (x y z roll pitch yaw) order.

        The relative covariance comes from the inlier geometry: the solver's rotation block (or the RANSAC
        threshold's where it has none), the translation fit's covariance plus the essential matrix's direction
        block scaled by the translation length; when translation is not observed (rotation-only update) its
        uncertainty is what `min_parallax_px` could hide at the scene depth.
        """
        R_world_camera = keyframe.T_world_camera[:3, :3] @ T_camera_keyframe[:3, :3].T
        rotation = rotation_covariance if np.all(np.isfinite(rotation_covariance)) else \
            np.eye(3) * (self.config.ransac_threshold_px / self.camera.focal) ** 2
        length = np.linalg.norm(T_camera_keyframe[:3, 3])
        if translation_covariance is not None and length > 0:
            translation = translation_covariance.copy()
            if direction_covariance is not None and np.all(np.isfinite(direction_covariance)):
                basis = tangent_basis(T_camera_keyframe[:3, 3] / length)
                translation += length ** 2 * basis @ direction_covariance @ basis.T
        else:
            depth = keyframe.median_depth if keyframe.num_points else self.unit_depth
            translation = np.eye(3) * (self.config.min_parallax_px / self.camera.focal * depth) ** 2
        relative = np.zeros((6, 6))
        relative[:3, :3] = R_world_camera @ translation @ R_world_camera.T  # camera centre -R^T t, into the world
        relative[3:, 3:] = R_world_camera @ rotation @ R_world_camera.T
        return keyframe.covariance + relative
