# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The visual-odometry frontend: every frame matched to a keyframe, its pose from the best of a few solvers.

    tracker = Tracker(VOConfig(), CameraModel(fx, fy, cx, cy, width, height))
    for image, stamp in frames:
        result = tracker.process(image, stamp)          # result.T_world_camera, result.state, result.solver, ...

Per frame: extract features and encode them once (LightGlue's per-image state), match them to the keyframe's
cached encoding, undistort, then solve for the pose relative to the keyframe: `pose_solvers.PoseSolver` returns a
`PoseHypothesis` from PnP against the keyframe's known points (the main path), the monocular initialisation, or the
essential matrix (the fallback), and changes nothing.

`_update` is the state machine, the only place the tracker's state changes: it takes the hypothesis (or holds the
pose when there is none), re-triangulates keyframe points the frame sees at a wider angle, and decides on a new
keyframe. A monocular keyframe triangulates its matches with the previous keyframe at the running scale (keypoints
on edges along their epipolar lines get no depth: their matches slide along the edge, `aperture.py`) and the local
map bundle-adjusts the last keyframes and the points they share (optionally with landmarks the matches lost
re-found in the new keyframe by projection and descriptor), with older keyframes that see those points held fixed
(`local_map.py`, timed as `bundle_adjustment`), which removes most of the drift of chained two-view estimates and
holds the scale over distance. With RGB-D the keyframe's points come from the aligned depth image (metres).

States: INITIALIZING (monocular scale not yet fixed; rotation-only updates, the position held: the frame that
initialises places these frames by PnP on its new points, `FrameResult.revised`, for offline trajectories),
TRACKING, DEGENERATE (translation not observable or the frame failed: rotation-only update or pose held), LOST
(`lost_after_failures` consecutive failures: the pose stays at the last good one). While frames fail, the latest one
is kept as a candidate keyframe at the last good pose; once LOST, a frame that matches neither the keyframe nor the
candidate replaces the candidate, and a frame that matches the candidate re-initialises there, so the trajectory
continues without a jump (`FrameResult.reinitialised`: the motion during the loss is not in it, and a monocular scale
starts over).

Units (`FrameResult.scale`): metres with depth images, or monocular with a translation prior (wheel odometry, the
distance travelled per frame: it fixes the initialisation's unit, each frame's distance from its keyframe, and the
keyframes' distances in the bundle adjustment; frames the images contradict are tracked without it); else the
median scene depth at initialisation.

World frame = the first camera's optical frame (x right, y down, z forward), unless `reset` is given another pose.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .camera import CameraModel
from .config import VOConfig
from .geometry import rotation_angle_deg
from .keyframe import Keyframe, KeyframePolicy
from .local_map import LocalMap
from .pose_solvers import (Frame, MatchedPair, MotionPrior, PoseHypothesis, PoseSolver, Solver, TrackingState,
                           triangulate_inliers)
from .scale import backproject, depth_to_metres, sample_depth
from .transforms import invert_transform
from ..timing import wall_timer

# The units of a trajectory (FrameResult.scale). Monocular without a prior, the unit is the median depth of the
# scene when the tracker initialised (a re-initialisation after a loss starts from the last keyframe's).
METRIC_DEPTH = "metric: depth"
METRIC_PRIOR = "metric: translation prior"
RELATIVE_SCALE = "relative: units of the first scene depth"

# Variance (m^2, rad^2) added per frame while the pose is held without a measurement: "unknown" for consumers
# that fuse the odometry, but finite as ROS covariances must be.
HELD_VARIANCE = 1e3
MAX_WAITING_FRAMES = 100   # INITIALIZING frames kept to be placed once the map is initialised (`FrameResult.revised`)


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
    inliers: np.ndarray                 # K bool: inliers of the pose
    stop_layer: int                     # LightGlue layers run
    num_layers: int
    pruned: tuple                       # points pruned per image (keyframe, frame)
    timings: dict = field(default_factory=dict)  # stage -> ms: extract encode match geometry bundle_adjustment total
    solver: Solver = Solver.NONE
    reason: str = ""                    # why the frame was not fully tracked, or why it became a keyframe
    # covariance less the matched keyframe's: this frame's own solve (plus what held frames added); for the twist
    relative_covariance: np.ndarray = field(default_factory=lambda: np.zeros((6, 6)))
    scale: str = RELATIVE_SCALE         # the trajectory's units: METRIC_DEPTH, METRIC_PRIOR or RELATIVE_SCALE
    prior_used: bool = False            # the translation prior given set this frame's translation
    prior_reason: str = ""              # why a translation prior given was not used ('' when it was, or none)
    # This frame re-initialised a LOST tracker on the candidate keyframe: the pose across the loss is the held one
    reinitialised: bool = False
    # (stamp, T_world_camera) of the earlier frames the monocular initialisation now places: while it waited for
    # parallax they were held at the first keyframe's position; against the points this frame triangulated their
    # own matches give them a pose (offline trajectories take it; a live odometry has published them already)
    revised: tuple = ()

    @property
    def metric(self) -> bool:
        """The trajectory is in metres (depth images, or a translation prior set the monocular scale)."""
        return self.scale != RELATIVE_SCALE

    @property
    def num_inliers(self) -> int:
        return int(self.inliers.sum())


def append_pose(stamps: list, poses: list, result: FrameResult) -> None:
    """Add a frame to a trajectory (stamps, poses), with the poses of the earlier frames it revised."""
    stamps.append(result.stamp)
    poses.append(result.T_world_camera)
    for stamp, T in result.revised:
        poses[len(stamps) - 1 - stamps[::-1].index(stamp)] = T


class Tracker:
    """The frontend: `process` one frame after another; `reset` starts a new trajectory."""

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
        """Apply changed tracking knobs from the next frame.

        The models are built once: knobs marked `restart` in VOConfig keep the values they had when the matcher was
        made.
        """
        config.validate()
        self.config, self.policy = config, KeyframePolicy(config)
        if self.local_map.settings != self._local_map_settings():
            self.local_map = self._new_local_map()

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
        self.local_map = self._new_local_map()
        self.waiting: list = []                     # INITIALIZING frames' pairs (no image) for `_revise_waiting`
        self._reset_prior()

    def _reset_prior(self) -> None:
        """Forget the translation prior's bookkeeping: the scale is relative until a prior sets it again."""
        self.prior_scale = False                    # a translation prior set the monocular scale (metres)
        self.prior_complete = True                  # every frame since the initialising keyframe had a prior
        self.prior_since_keyframe = 0.0             # prior distance since the keyframe (the trusted priors')
        self.prior_window: deque = deque()          # (stamp, prior distance, position the images saw) per frame

    def restart(self) -> None:
        """A new keyframe at the current pose for the next frame (stamps went backwards, the camera changed).

        The pose, its covariance and the monocular scale carry on, so the odometry has no jump.
        """
        T_world_camera, covariance, unit_depth = self.T_world_camera, self.covariance, self.unit_depth
        self.reset(T_world_camera)
        self.covariance, self.unit_depth = covariance, unit_depth

    def _local_map_settings(self) -> tuple:
        cfg = self.config
        return (cfg.local_map_keyframes, cfg.ransac_threshold_px, cfg.local_map_anchor_keyframes,
                cfg.landmark_search_radius_px, cfg.wheel_baseline_sigma, cfg.local_map_min_angle_deg)

    def _new_local_map(self) -> LocalMap:
        return LocalMap(*self._local_map_settings())

    # --- the per-frame pipeline -------------------------------------------------------------------------------
    def process(self, image: np.ndarray, stamp: float, depth: Optional[np.ndarray] = None,
                translation_prior: Optional[float] = None) -> FrameResult:
        """Track one frame.

        `depth`: aligned depth image (RGB-D); `translation_prior`: the distance (metres) the camera travelled since
        the previous frame (e.g. wheel odometry, `wheel_odometry.py`), which makes a monocular trajectory metric:
        it sets the translations' lengths, fixes the scale at initialisation and holds it in the bundle adjustment
        (`wheel_baseline_sigma`). A monocular trajectory begun without priors starts over at the current pose when
        the first prior comes (its scale is in other units); a prior the images contradict is not used
        (`FrameResult.prior_reason`).
        """
        start = time.perf_counter()
        timings = {}
        frame = self._frame(image, stamp, depth, translation_prior, timings)
        reason = "first frame"
        if translation_prior is not None and self.keyframe is not None and not self.keyframe.metric and \
                not self.prior_scale and not (self.prior_complete and self.state == TrackingState.INITIALIZING):
            self._restart_at_current_pose()
            reason = "first frame: a translation prior came, the monocular scale starts over in its units"
        if self.keyframe is None:
            return self._update(frame, None, None, timings, start, translation_prior, reason)
        prior = self._motion_prior(translation_prior)
        pair, hypothesis = self._track(self.keyframe, frame, prior, timings)
        if not hypothesis.ok and self.state == TrackingState.LOST and self.candidate is not None:
            candidate_pair, recovered = self._track(self.candidate, frame, prior, timings)
            if recovered.ok:
                pair, hypothesis = candidate_pair, recovered
        return self._update(frame, pair, hypothesis, timings, start, translation_prior)

    def _restart_at_current_pose(self) -> None:
        """Start a new monocular trajectory where the camera is, keeping its covariance; the next frame is its first."""
        covariance = self.covariance
        self.reset(self.T_world_camera)
        self.covariance = covariance

    def _motion_prior(self, translation_prior: Optional[float]) -> Optional[MotionPrior]:
        if translation_prior is None or self.keyframe.metric:
            return None
        # The distance from the keyframe, not from the previous frame: the keyframe's direction to the frame is the
        # well-measured one, and per-frame steps set along noisy directions would add up to a shorter path.
        window = self.prior_window
        return MotionPrior(self.prior_since_keyframe + translation_prior, self.keyframe.T_world_camera[:3, 3].copy(),
                           sum(d for _, d, _ in list(window)[1:]) + translation_prior,
                           window[0][2] if window else None, translation_prior,
                           window[-1][2] if window else None, check=self.prior_scale)

    def _remember_prior(self, stamp: float, translation_prior: Optional[float], hypothesis: PoseHypothesis) -> None:
        """The prior's distance and where the images put the camera, over the last `wheel_check_window_s`.

        A frame without a prior or without a translation (rotation only: the camera held at the keyframe) leaves
        nothing to compare across it. A prior the images contradicted counts as the step they saw, so that the
        wheels of a robot put down again are trusted as soon as they agree again.
        """
        window = self.prior_window
        if translation_prior is None or not np.linalg.norm(hypothesis.T_camera_keyframe[:3, 3]) > 0:
            window.clear()
            return
        seen = hypothesis.seen_position if hypothesis.seen_position is not None else self.T_world_camera[:3, 3]
        step = float(translation_prior)
        if hypothesis.prior_reason and window:
            step = float(np.linalg.norm(seen - window[-1][2]))
        window.append((stamp, step, seen.copy()))
        while len(window) > 1 and window[1][0] <= stamp - self.config.wheel_check_window_s:
            window.popleft()

    def _frame(self, image, stamp, depth, translation_prior, timings: dict) -> Frame:
        """Check the input, extract and encode the frame's features."""
        depth = self._check_input(image, depth, translation_prior)
        with self.matcher.timer(timings, "extract"):
            features = self.matcher.extract(image)
        with self.matcher.timer(timings, "encode"):
            encoded = self.matcher.encode(features)
        # The frame's only copy of keypoints to the CPU; it also completes the timings' CUDA events.
        keypoints = features.keypoints.detach().float().cpu().numpy().astype(np.float64)
        self.matcher.resolve_timings()
        frame = Frame(float(stamp), self.frame_index, encoded, keypoints, self.camera.undistort_points(keypoints),
                      image, depth)
        self.frame_index += 1
        return frame

    def _check_input(self, image, depth, translation_prior):
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
        if translation_prior is not None and not (np.isfinite(translation_prior) and translation_prior >= 0):
            raise ValueError(f"translation_prior must be a finite non-negative number, got {translation_prior}")
        if depth is None or not self.config.use_depth:
            return None
        depth = depth_to_metres(depth)
        if depth.shape != (height, width):
            raise ValueError(f"depth image {depth.shape[1]}x{depth.shape[0]} does not match the image "
                             f"{width}x{height} (it must be aligned to the colour camera)")
        return depth

    def _track(self, keyframe: Keyframe, frame: Frame, prior: Optional[MotionPrior], timings: dict):
        """Match the frame to a keyframe and solve for its pose: (pair or None, hypothesis)."""
        cfg = self.config
        if len(frame.keypoints) < cfg.min_inliers or len(keyframe.keypoints) < cfg.min_inliers:
            return None, PoseHypothesis.failed(f"too few keypoints ({len(frame.keypoints)} in the frame, "
                                               f"{len(keyframe.keypoints)} in the keyframe)", np.zeros(0, bool))
        match = self.matcher.match(keyframe.encoded, frame.encoded)
        timings["match"] = timings.get("match", 0.0) + match.timings.get("match", 0.0)
        with wall_timer(timings, "geometry"):
            m = match.matches
            pair = MatchedPair(keyframe, frame, match, keyframe.normalized[m[:, 0]], frame.normalized[m[:, 1]])
            return pair, PoseSolver(cfg, self.camera, self.unit_depth).solve(pair, prior)

    # --- the state machine: the one place the tracker's state changes ------------------------------------------
    def _update(self, frame: Frame, pair: Optional[MatchedPair], hypothesis: Optional[PoseHypothesis], timings: dict,
                start: float, translation_prior: Optional[float], first_reason: str = "first frame") -> FrameResult:
        """Take the hypothesis: the one place the tracker's state changes.

        The first frame starts the trajectory; a pose moves the camera (and may make the frame a keyframe); no pose
        holds the camera, counts a failure and keeps the frame as a candidate.
        """
        cfg = self.config
        if hypothesis is None:
            self.keyframe = self._new_keyframe(frame, self.T_world_camera, self.covariance)
            if not self.keyframe.metric:
                self.local_map.add(self.keyframe)
            self.state = TrackingState.TRACKING if self.keyframe.num_points >= cfg.min_scale_points \
                else TrackingState.INITIALIZING
            self._reset_prior()
            return self._result(frame, None, None, timings, start, is_keyframe=True, reason=first_reason)

        given = 0.0 if translation_prior is None else float(translation_prior)
        if hypothesis.prior_reason:   # the images contradicted the prior: the distance is what they saw
            self.prior_since_keyframe = float(np.linalg.norm(hypothesis.seen_position -
                                                             self.keyframe.T_world_camera[:3, 3]))
        else:
            self.prior_since_keyframe += given
        if translation_prior is None:
            self.prior_complete = False
        if not hypothesis.ok:
            self.failures += 1
            self.state = TrackingState.LOST if self.failures >= cfg.lost_after_failures \
                else TrackingState.DEGENERATE
            self.covariance = self.covariance + np.eye(6) * HELD_VARIANCE
            if len(frame.keypoints) >= cfg.min_inliers:
                self.candidate = self._new_keyframe(frame, self.T_world_camera, self.covariance)
            return self._result(frame, pair, hypothesis, timings, start, is_keyframe=False,
                                reason=hypothesis.reason)

        # The pair's keyframe is the candidate when a LOST tracker re-initialises: it sits at the last good pose,
        # so the trajectory continues without a jump.
        keyframe = pair.keyframe
        reinitialised = keyframe is self.candidate
        self.keyframe, self.candidate, self.failures = keyframe, None, 0
        if hypothesis.refines_points:
            with wall_timer(timings, "geometry"):
                self._refine_points(pair, hypothesis)
        revised = ()
        self.waiting = [w for w in self.waiting if w[1].keyframe is keyframe]   # a new first keyframe: forget
        if hypothesis.state == TrackingState.INITIALIZING and len(self.waiting) < MAX_WAITING_FRAMES:
            self.waiting.append((frame.stamp, MatchedPair(keyframe, None, pair.match, pair.x0, pair.x1)))
        elif hypothesis.sets_scale:
            with wall_timer(timings, "geometry"):
                revised = self._revise_waiting(keyframe)
        self.T_world_camera = keyframe.T_world_camera @ invert_transform(hypothesis.T_camera_keyframe)
        self.covariance = hypothesis.covariance
        self.state = hypothesis.state
        if hypothesis.sets_scale:
            self.prior_scale = hypothesis.prior_used
        self._remember_prior(frame.stamp, translation_prior, hypothesis)
        reason = self._keyframe_reason(pair, hypothesis)
        if reason:
            self.keyframe = self._new_keyframe(frame, self.T_world_camera, self.covariance, pair, hypothesis)
            if self.prior_scale and hypothesis.prior_used:
                self.keyframe.wheel_baseline = float(np.linalg.norm(self.T_world_camera[:3, 3] -
                                                                    keyframe.T_world_camera[:3, 3]))
            if not self.keyframe.metric:
                with wall_timer(timings, "bundle_adjustment"):
                    self._adjust_local_map(pair, hypothesis)
            if self.state == TrackingState.INITIALIZING and self.keyframe.num_points >= cfg.min_scale_points:
                self.state = TrackingState.TRACKING
            self.prior_since_keyframe = 0.0
        return self._result(frame, pair, hypothesis, timings, start, is_keyframe=bool(reason),
                            reason=reason or hypothesis.reason, reinitialised=reinitialised, revised=revised)

    def _revise_waiting(self, keyframe: Keyframe) -> tuple:
        """(stamp, T_world_camera) of the frames that waited for the initialisation, by PnP on its new points."""
        solver = PoseSolver(self.config, self.camera, self.unit_depth)
        revised = []
        for stamp, waiting in self.waiting:
            hypothesis = solver.pnp(waiting, None)
            if hypothesis.ok:
                revised.append((stamp, keyframe.T_world_camera @ invert_transform(hypothesis.T_camera_keyframe)))
        self.waiting = []
        return tuple(revised)

    # --- points and keyframes ----------------------------------------------------------------------------------
    def _refine_points(self, pair: MatchedPair, hypothesis: PoseHypothesis) -> None:
        """Triangulate (again) keyframe points that this frame sees at a wider angle than before."""
        keyframe, T = pair.keyframe, hypothesis.T_camera_keyframe
        index, X, angle, good = triangulate_inliers(pair, hypothesis.inliers, T[:3, :3], T[:3, 3], self.config,
                                                    self.camera)
        better = good & (angle > keyframe.point_angles[index])
        keyframe.points[index[better]] = X[better]
        keyframe.point_angles[index[better]] = angle[better]

    def _keyframe_reason(self, pair: MatchedPair, hypothesis: PoseHypothesis) -> str:
        if hypothesis.state == TrackingState.INITIALIZING:
            return ""  # keep the first keyframe until the pair has enough parallax
        reason = self.policy.reason(int(hypothesis.inliers.sum()), len(pair.match.matches), hypothesis.parallax_px,
                                    pair.keyframe.age(pair.frame.index), hypothesis.num_points,
                                    rotation_angle_deg(hypothesis.T_camera_keyframe[:3, :3]))
        return f"new keyframe: {reason}" if reason else ""

    def _new_keyframe(self, frame: Frame, T_world_camera: np.ndarray, covariance: np.ndarray,
                      pair: Optional[MatchedPair] = None, hypothesis: Optional[PoseHypothesis] = None) -> Keyframe:
        n = len(frame.keypoints)
        points = np.full((n, 3), np.nan)
        angles = np.zeros(n)
        metric = frame.depth is not None
        if metric:
            z = sample_depth(frame.depth, frame.keypoints, self.config.depth_min_m, self.config.depth_max_m,
                             self.config.depth_edge_ratio)
            points = backproject(frame.normalized, z)
            angles[:] = np.inf
        elif hypothesis is not None:
            self._carry_points(pair, hypothesis, points, angles)
        # With the landmark search on, monocular keyframes keep their descriptors on the CPU for it.
        descriptors = None if metric or self.config.landmark_search_radius_px <= 0 else \
            frame.encoded.features.descriptors.detach().cpu().numpy().astype(np.float16)
        keyframe = Keyframe(self.next_keyframe_id, frame.stamp, frame.index, T_world_camera.copy(),
                            covariance.copy(), frame.encoded, frame.keypoints, frame.normalized, frame.structure,
                            points, angles, metric, descriptors=descriptors)
        self.next_keyframe_id += 1
        if keyframe.num_points and not metric:
            self.unit_depth = keyframe.median_depth  # the scale a monocular re-initialisation starts from
        return keyframe

    def _carry_points(self, pair: MatchedPair, hypothesis: PoseHypothesis, points: np.ndarray,
                      angles: np.ndarray) -> None:
        """Points of the new keyframe, in its coordinates at the running scale.

        Correspondences with the previous keyframe are triangulated with the scaled relative pose; where the rays
        meet at too small an angle (or after a rotation-only update), the previous keyframe's point (if known) is
        transformed instead.
        """
        keyframe, T = pair.keyframe, hypothesis.T_camera_keyframe
        m = pair.match.matches[hypothesis.inliers]
        old = keyframe.known[m[:, 0]]
        points[m[old, 1]] = keyframe.points[m[old, 0]] @ T[:3, :3].T + T[:3, 3]
        angles[m[old, 1]] = keyframe.point_angles[m[old, 0]]
        if np.linalg.norm(T[:3, 3]) > 0:
            _, X, angle, good = triangulate_inliers(pair, hypothesis.inliers, T[:3, :3], T[:3, 3], self.config,
                                                    self.camera)
            better = good & (angle > angles[m[:, 1]])
            points[m[better, 1]] = X[better] @ T[:3, :3].T + T[:3, 3]
            angles[m[better, 1]] = angle[better]

    def _adjust_local_map(self, pair: MatchedPair, hypothesis: PoseHypothesis) -> None:
        """Monocular: link the new keyframe to the previous one's landmarks and bundle-adjust the window.

        The frame takes the adjusted pose.
        """
        self.local_map.add(self.keyframe, pair.keyframe, pair.match.matches[hypothesis.inliers],
                           pair.match.matches[~hypothesis.inliers])
        if self.local_map.adjust(self.camera.focal):
            self.T_world_camera = self.keyframe.T_world_camera.copy()

    # --- output ------------------------------------------------------------------------------------------------
    def _result(self, frame: Frame, pair: Optional[MatchedPair], hypothesis: Optional[PoseHypothesis], timings: dict,
                start: float, is_keyframe: bool, reason: str, reinitialised: bool = False,
                revised: tuple = ()) -> FrameResult:
        match = pair.match if pair is not None else None
        keyframe = pair.keyframe if pair is not None else self.keyframe
        if match is not None:
            matches, scores, inliers = match.matches, match.scores, hypothesis.inliers
        else:
            matches, scores, inliers = np.zeros((0, 2), np.int64), np.zeros(0, np.float32), np.zeros(0, bool)
        timings = dict(timings)
        for stage in ("match", "geometry", "bundle_adjustment"):
            timings.setdefault(stage, 0.0)
        timings["total"] = (time.perf_counter() - start) * 1e3
        return FrameResult(
            stamp=frame.stamp, T_world_camera=self.T_world_camera.copy(), covariance=self.covariance.copy(),
            state=self.state, keyframe_id=keyframe.id, keyframe_stamp=keyframe.stamp,
            is_keyframe=is_keyframe, keypoints=frame.keypoints, keyframe_keypoints=keyframe.keypoints,
            matches=matches, scores=scores, inliers=inliers,
            stop_layer=match.stop_layer if match is not None else 0,
            num_layers=match.num_layers if match is not None else 0,
            pruned=match.pruned if match is not None else (0, 0), timings=timings,
            solver=hypothesis.solver if hypothesis is not None and hypothesis.ok else Solver.NONE, reason=reason,
            relative_covariance=self.covariance - keyframe.covariance,
            scale=METRIC_DEPTH if keyframe.metric else METRIC_PRIOR if self.prior_scale else RELATIVE_SCALE,
            prior_used=bool(hypothesis is not None and hypothesis.ok and hypothesis.prior_used),
            prior_reason=hypothesis.prior_reason if hypothesis is not None else "", reinitialised=reinitialised,
            revised=revised)
