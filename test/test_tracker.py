# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The tracker end to end on short synthetic sequences (exact poses and depth) with the real ALIKED + LightGlue.

Small images and few keypoints keep it fast on a CPU; the full-size accuracy check (>= 300 frames, several
trajectories and seeds) is `bench/vo_synthetic.py`.

"Tracked" = any state but LOST: monocular initialisation frames get a rotation-only pose (state INITIALIZING) and
count as tracked; positions before the scale is fixed are held, so the monocular ATE is taken from the first
TRACKING frame on.
"""
import numpy as np
import pytest

from lightglue_ros.models.matching import FeatureMatcher
from lightglue_ros.sim import SyntheticSequence
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.tracker import FrameResult, Solver, Tracker, TrackingState, append_pose

SIZE = (320, 240)
KEYPOINTS = 512


def config(**overrides) -> VOConfig:
    values = dict(features="aliked", max_keypoints=KEYPOINTS, resize=0, device="cpu", keyframe_min_inliers=80)
    values.update(overrides)
    return VOConfig(**values)


@pytest.fixture(scope="module")
def matcher():
    return FeatureMatcher.from_config(config())


def umeyama(source: np.ndarray, target: np.ndarray, with_scale: bool):
    """s, R, t minimising |target - (s R source + t)|^2."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    a, b = source - mu_s, target - mu_t
    U, S, Vt = np.linalg.svd(b.T @ a / len(source))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))])
    R = U @ D @ Vt
    s = float((S * np.diag(D)).sum() / a.var(0).sum()) if with_scale else 1.0
    return s, R, mu_t - s * R @ mu_s


def run(tracker, sequence, frames, depth):
    results = []
    for i in frames:
        stamp, rgb, d, _ = sequence.frame(i)
        results.append(tracker.process(rgb, stamp, depth=d if depth else None))
    return results


def test_rgbd_orbit_is_tracked_at_metric_scale(matcher):
    sequence = SyntheticSequence("orbit", frames=40, size=SIZE, seed=1)
    tracker = Tracker(config(), sequence.camera, matcher)
    results = run(tracker, sequence, range(len(sequence)), depth=True)

    assert results[0].is_keyframe and np.allclose(results[0].T_world_camera, np.eye(4))
    assert all(r.state == TrackingState.TRACKING for r in results)
    estimated = np.array([r.T_world_camera[:3, 3] for r in results])
    truth = sequence.relative_poses()[:, :3, 3]
    scale, R, t = umeyama(estimated, truth, with_scale=True)
    assert abs(scale - 1.0) < 0.01, f"metric scale off by {abs(scale - 1) * 100:.1f} %"
    _, R, t = umeyama(estimated, truth, with_scale=False)[0:3]
    ate = np.sqrt(np.mean(np.sum((estimated @ R.T + t - truth) ** 2, axis=1)))
    assert ate < 0.01 * sequence.path_length + 0.002, f"ATE {ate:.4f} m on a {sequence.path_length:.2f} m path"
    rotation_error = [np.degrees(np.arccos(np.clip((np.trace(r.T_world_camera[:3, :3].T @ g[:3, :3]) - 1) / 2, -1,
                                                   1))) for r, g in zip(results, sequence.relative_poses())]
    assert max(rotation_error) < 0.5

    r = results[-1]
    assert isinstance(r, FrameResult) and r.solver == Solver.PNP  # fitted to the depth points
    assert r.matches.shape[1] == 2 and len(r.scores) == len(r.matches) == len(r.inliers)
    assert r.inliers.dtype == bool and r.num_inliers >= 20
    assert r.matches[:, 0].max() < len(r.keyframe_keypoints) and r.matches[:, 1].max() < len(r.keypoints)
    assert 1 <= r.stop_layer <= r.num_layers == 9 and len(r.pruned) == 2
    assert {"extract", "encode", "match", "geometry", "total"} <= set(r.timings)
    assert r.timings["total"] >= r.timings["extract"] + r.timings["match"]
    assert r.covariance.shape == (6, 6) and np.all(np.isfinite(r.covariance))
    assert np.allclose(r.covariance, r.covariance.T) and np.linalg.eigvalsh(r.covariance).min() > 0
    # Uncertainty grows along the trajectory (each keyframe adds its own).
    assert np.trace(results[-1].covariance[:3, :3]) > np.trace(results[2].covariance[:3, :3])
    assert sum(r.is_keyframe for r in results) >= 2  # the keyframe policy (max age 30) replaced it


def test_monocular_line_keeps_its_scale():
    # 0.4 m/s at 10 Hz, 4 cm steps. Per-frame pose noise is about 1 mm at 320x240 (2-8 m scene depth), as much as
    # the 5 % tolerance of a step, so this check runs at 640x480 with the default 1024 keypoints.
    size, keypoints = (640, 480), 1024
    sequence = SyntheticSequence("line", frames=36, size=size, seed=2, fps=10.0)
    matcher = FeatureMatcher.from_config(config(max_keypoints=keypoints))
    tracker = Tracker(config(max_keypoints=keypoints, keyframe_max_age=8), sequence.camera, matcher)
    results = run(tracker, sequence, range(len(sequence)), depth=False)
    states = [r.state for r in results]
    assert states[0] == TrackingState.INITIALIZING
    assert TrackingState.LOST not in states
    first = states.index(TrackingState.TRACKING)
    assert first <= 5, states
    assert all(s == TrackingState.TRACKING for s in states[first:]), states
    keyframes = [k for k, r in enumerate(results) if r.is_keyframe and k >= first]
    assert len(keyframes) >= 4  # the scale is carried across several keyframes
    positions = np.array([r.T_world_camera[:3, 3] for r in results])
    # Every step from the frame that fixed the scale on, across the later keyframes: constant length.
    steps = np.linalg.norm(np.diff(positions[first:], axis=0), axis=1)
    ratio = steps / np.median(steps)
    print("per-frame step ratios", np.round(ratio, 3))
    assert np.all(np.abs(ratio - 1) <= 0.05), np.round(ratio, 3)
    # ... and the path is the ground truth's, up to the similarity.
    truth = sequence.relative_poses()[first:, :3, 3]
    s, R, t = umeyama(positions[first:], truth, with_scale=True)
    ate = np.sqrt(np.mean(np.sum((positions[first:] @ R.T * s + t - truth) ** 2, axis=1)))
    path = np.linalg.norm(np.diff(truth, axis=0), axis=1).sum()
    print(f"line: ATE (Sim3) {ate / path * 100:.2f} % of the path after initialisation")
    assert ate < 0.005 * path

    # The frames that waited for the initialisation, held at the first keyframe's position, are placed by the frame
    # that initialised (`FrameResult.revised`): the whole trajectory, from the first frame on, keeps the bound.
    assert [stamp for stamp, _ in results[first].revised] == [r.stamp for r in results[1:first]]
    stamps, poses = [], []
    for r in results:
        append_pose(stamps, poses, r)
    positions = np.array([T[:3, 3] for T in poses])
    truth = sequence.relative_poses()[:, :3, 3]
    s, R, t = umeyama(positions, truth, with_scale=True)
    whole = np.sqrt(np.mean(np.sum((positions @ R.T * s + t - truth) ** 2, axis=1)))
    print(f"line: ATE (Sim3) {whole / path * 100:.2f} % from the first frame")
    assert whole < 0.005 * path


def blank(shape):
    return np.full(shape, 128, np.uint8)


def test_blank_frames_lose_tracking_and_it_recovers_without_a_jump(matcher):
    sequence = SyntheticSequence("orbit", frames=30, size=SIZE, seed=3)
    tracker = Tracker(config(lost_after_failures=3), sequence.camera, matcher)
    before = run(tracker, sequence, range(12), depth=True)
    assert before[-1].state == TrackingState.TRACKING
    held = before[-1].T_world_camera
    lost = [tracker.process(blank((SIZE[1], SIZE[0], 3)), 100.0 + k) for k in range(4)]
    assert [r.state for r in lost] == [TrackingState.DEGENERATE] * 2 + [TrackingState.LOST] * 2
    for r in lost:  # the pose is held while lost
        np.testing.assert_allclose(r.T_world_camera, held)
        assert np.trace(r.covariance) > np.trace(before[-1].covariance)
    after = run(tracker, sequence, range(16, 30), depth=True)
    first = next(k for k, r in enumerate(after) if r.state == TrackingState.TRACKING)
    assert first < 3
    assert all(r.state == TrackingState.TRACKING for r in after[first:])
    # The camera moved 4 frames' worth during the blank stretch; the recovered pose follows it, no jump beyond.
    truth = sequence.relative_poses()
    step = np.linalg.norm(truth[16, :3, 3] - truth[11, :3, 3])
    assert np.linalg.norm(after[first].T_world_camera[:3, 3] - held[:3, 3]) < step + 0.02


def test_sudden_jump_loses_tracking_and_reinitialises_at_the_last_pose(matcher):
    near = SyntheticSequence("orbit", frames=10, size=SIZE, seed=4)
    far = SyntheticSequence("forward", frames=12, size=SIZE, seed=5)  # another room, another path
    tracker = Tracker(config(lost_after_failures=2), near.camera, matcher)
    before = run(tracker, near, range(10), depth=True)
    held = before[-1].T_world_camera
    after = run(tracker, far, range(12), depth=True)
    states = [r.state for r in after]
    lost_at = states.index(TrackingState.LOST)
    assert lost_at <= 2, states
    recovered = next(k for k in range(lost_at, len(states)) if states[k] == TrackingState.TRACKING)
    assert recovered - lost_at <= 3, states
    assert all(s == TrackingState.TRACKING for s in states[recovered:]), states
    for r in after[:recovered]:
        np.testing.assert_allclose(r.T_world_camera, held)
    # After recovery the motion is relative to the held pose: it matches the true motion since the frame the
    # tracker re-initialised at (the last candidate before recovery).
    truth = far.relative_poses()
    anchor = recovered - 1
    for k in range(recovered, len(after)):
        moved = np.linalg.inv(held) @ after[k].T_world_camera
        expected = np.linalg.inv(truth[anchor]) @ truth[k]
        # A jump would be metres (the other room's pose); what remains is the new keyframe's estimation error.
        assert np.linalg.norm(moved[:3, 3] - expected[:3, 3]) < 0.02 + 0.1 * np.linalg.norm(expected[:3, 3])


def test_reset_and_bad_input(matcher):
    sequence = SyntheticSequence("orbit", frames=2, size=SIZE, seed=6)
    tracker = Tracker(config(), None, matcher)
    _, rgb, depth, _ = sequence.frame(0)
    with pytest.raises(ValueError, match="no camera"):
        tracker.process(rgb, 0.0)
    tracker.set_camera(sequence.camera)
    with pytest.raises(ValueError, match="uint8"):
        tracker.process(rgb.astype(np.float32), 0.0)
    with pytest.raises(ValueError, match="uint8"):
        tracker.process(np.zeros((240, 320, 4), np.uint8), 0.0)
    with pytest.raises(ValueError, match="camera model is 320x240"):
        tracker.process(np.zeros((480, 640), np.uint8), 0.0)
    with pytest.raises(ValueError, match="does not match"):
        tracker.process(rgb, 0.0, depth=depth[:100])
    with pytest.raises(ValueError, match="translation_prior"):
        tracker.process(rgb, 0.0, translation_prior=-1.0)
    with pytest.raises(ValueError, match="CameraModel"):
        tracker.set_camera("camera")
    with pytest.raises(ValueError, match="4 x 4"):
        tracker.reset(np.eye(3))

    start = np.eye(4)
    start[:3, 3] = [1.0, 2.0, 3.0]
    tracker.reset(start)
    first = tracker.process(rgb, 0.0)  # grayscale works as well as RGB
    assert first.state == TrackingState.INITIALIZING and first.is_keyframe
    np.testing.assert_allclose(first.T_world_camera, start)
    # 16UC1 millimetres are accepted as depth; with it the scale is known from the first frame.
    tracker.reset()
    depth_mm = np.nan_to_num(depth * 1000).astype(np.uint16)
    assert tracker.process(rgb, 0.0, depth=depth_mm).state == TrackingState.TRACKING
    gray = np.ascontiguousarray(rgb[..., 1])
    assert tracker.process(gray, 1 / 30, depth=depth_mm).state == TrackingState.TRACKING
