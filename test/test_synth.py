# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Synthetic sequences: deterministic for a seed, and the images, depth and poses agree exactly."""
import numpy as np
import pytest

from lightglue_ros.sim import Renderer, SyntheticSequence, TRAJECTORIES, build_street_scene
from lightglue_ros.sim.street import STREETS

SIZE = (160, 120)
ROOM_TRAJECTORIES = sorted(set(TRAJECTORIES) - {"street", "loop", "lookalike"})  # loop: speed follows the duration


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = SyntheticSequence("handheld", 20, SIZE, seed=3)
    b = SyntheticSequence("handheld", 20, SIZE, seed=3)
    c = SyntheticSequence("handheld", 20, SIZE, seed=4)
    for i in (0, 19):
        fa, fb, fc = a.frame(i), b.frame(i), c.frame(i)
        np.testing.assert_array_equal(fa[1], fb[1])
        np.testing.assert_array_equal(fa[2], fb[2])
        np.testing.assert_array_equal(fa[3], fb[3])
        assert np.abs(fa[1].astype(int) - fc[1].astype(int)).mean() > 10  # another scene, another path


@pytest.mark.parametrize("trajectory", ROOM_TRAJECTORIES)
def test_trajectories_are_smooth_and_ground_truth_starts_at_identity(trajectory):
    seq = SyntheticSequence(trajectory, 300, SIZE, seed=1)
    stamp, rgb, depth, T = seq.frame(150)
    assert rgb.shape == (120, 160, 3) and rgb.dtype == np.uint8
    assert depth.shape == (120, 160) and depth.dtype == np.float32
    assert np.all(np.isfinite(depth)) and depth.min() > 0.3, "camera inside the room, clear of the boxes"
    assert rgb.std() > 20, "textured, not flat"
    relative = seq.relative_poses()
    np.testing.assert_allclose(relative[0], np.eye(4), atol=1e-12)
    np.testing.assert_allclose(stamp, 150 / 30.0)
    steps = np.linalg.norm(np.diff(seq.poses[:, :3, 3], axis=0), axis=1)
    angles = [np.degrees(np.arccos(np.clip((np.trace(A[:3, :3].T @ B[:3, :3]) - 1) / 2, -1, 1)))
              for A, B in zip(seq.poses[:-1], seq.poses[1:])]
    assert steps.max() < 0.03 and max(angles) < 1.5, "30 Hz-like motion"
    if trajectory == "rotation":
        assert steps.max() < 1e-12 and max(angles) > 0.05
    else:
        assert steps.mean() > 0.005
    if trajectory == "line":
        np.testing.assert_allclose(steps, steps.mean(), rtol=1e-9)      # constant speed ...
        np.testing.assert_allclose(seq.poses[:, :3, :3], seq.poses[:1, :3, :3].repeat(300, 0), atol=1e-12)
        direction = np.diff(seq.poses[:, :3, 3], axis=0) / steps[:, None]
        np.testing.assert_allclose(direction, direction[:1].repeat(299, 0), atol=1e-9)  # ... on a straight line


def test_loop_comes_back_to_its_start_and_goes_on():
    from lightglue_ros.sim.trajectories import LOOP_TURNS

    seq = SyntheticSequence("loop", 241, SIZE, seed=1, fps=10.0)
    back = int(round(240 / LOOP_TURNS))           # one turn: where it started, looking the same way
    np.testing.assert_allclose(seq.poses[back][:3, :3], seq.poses[0][:3, :3], atol=1e-9)
    assert np.linalg.norm(seq.poses[back][:3, 3] - seq.poses[0][:3, 3]) < 0.1   # the bob (5 cm) differs
    steps = np.linalg.norm(np.diff(seq.poses[:, :3, 3], axis=0), axis=1)
    assert steps.max() < 0.1 and steps.min() > 0.05, "0.85 m/s at 10 Hz"
    stamp, rgb, depth, _ = seq.frame(back)
    assert np.all(np.isfinite(depth)) and depth.min() > 0.3, "clear of the boxes"


def test_lookalike_passes_a_bay_and_its_twin_and_never_comes_back():
    """The same place in the two bays renders the same; the camera moves on along the hall and never returns."""
    from lightglue_ros.sim.hall import SHIFT

    seq = SyntheticSequence("lookalike", 200, SIZE, seed=1, fps=10.0)
    p = seq.poses[:, :3, 3]
    steps = np.diff(p[:, 0])
    assert np.all(steps > 0.09) and np.all(steps < 0.11), "1 m/s along x, never back"
    np.testing.assert_allclose(seq.poses[:, :3, :3], seq.poses[:1, :3, :3].repeat(200, 0), atol=1e-12)
    twin = int(np.argmin(np.abs(p[:, 0] - (p[20, 0] + SHIFT))))
    assert (twin - 20) / 10.0 > 10.0, "more than SlamConfig.exclude_recent_s apart"
    _, rgb, depth, T = seq.frame(20)
    assert rgb.std() > 20 and depth.min() > 1.0, "textured, clear of the furniture"
    moved = T.copy()
    moved[0, 3] += SHIFT                     # frame 20's pose in the twin bay
    twin_rgb, twin_depth = seq.renderer.render(moved)
    assert np.abs(twin_rgb.astype(int) - rgb).mean() < 1.0, "the twin looks the same"
    np.testing.assert_allclose(twin_depth, depth, rtol=1e-4)
    between = seq.frame(int(np.argmin(np.abs(p[:, 0]))))[1]   # the middle of the hall: a place of its own
    assert np.abs(between.astype(int) - rgb).mean() > 20


def test_same_as_needs_an_earlier_face_of_the_same_size():
    from lightglue_ros.sim.scene import Box, Look, textured_scene
    from lightglue_ros.sim.textures import box_texture

    lo, hi = np.array([-2.0, -2.0, -2.0]), np.array([2.0, 2.0, 2.0])
    boxes = [Box(np.zeros(3), np.ones(3)), Box(np.ones(3), 2 * np.ones(3) - 0.5)]
    looks = [Look(0.05, box_texture, 1.0)] * 18
    with pytest.raises(ValueError, match="same size"):
        textured_scene(np.random.default_rng(0), lo, hi, boxes, looks, same_as=[None] * 12 + list(range(6, 12)))
    boxes[1] = Box(np.ones(3), 2 * np.ones(3))     # the same size: shared
    scene = textured_scene(np.random.default_rng(0), lo, hi, boxes, looks, same_as=[None] * 12 + list(range(6, 12)))
    for offset in (scene.face_offset_x, scene.face_offset_y):   # 1 m further on, the same texels
        np.testing.assert_allclose(offset[12:] + scene.face_scale[12:] * 1.0, offset[6:12])


def backproject(seq, depth, pixels, T_world_camera):
    K = seq.camera.K
    rays = np.stack([(pixels[:, 0] - K[0, 2]) / K[0, 0], (pixels[:, 1] - K[1, 2]) / K[1, 1], np.ones(len(pixels))], 1)
    X = rays * depth[pixels[:, 1], pixels[:, 0], None]
    return X @ T_world_camera[:3, :3].T + T_world_camera[:3, 3]


def project(seq, X_world, T_world_camera):
    T = np.linalg.inv(T_world_camera)
    X = X_world @ T[:3, :3].T + T[:3, 3]
    K = seq.camera.K
    return np.stack([K[0, 0] * X[:, 0] / X[:, 2] + K[0, 2], K[1, 1] * X[:, 1] / X[:, 2] + K[1, 2]], 1), X[:, 2]


@pytest.mark.parametrize("trajectory", ["orbit", "forward", "street"])
def test_depth_and_poses_are_exact(trajectory):
    """A point seen in frame A, projected into frame B with the true poses and intrinsics, is where B sees it.

    B's depth there agrees, B's pixel goes back to A's within a pixel, and the colours match.
    """
    seq = SyntheticSequence(trajectory, 40, (320, 240), seed=2)
    _, rgb_a, depth_a, T_a = seq.frame(0)
    _, rgb_b, depth_b, T_b = seq.frame(30)
    rng = np.random.default_rng(0)
    pixels = np.stack([rng.integers(2, 318, 4000), rng.integers(2, 238, 4000)], 1)
    X = backproject(seq, depth_a, pixels, T_a)
    uv_b, z_b = project(seq, X, T_b)
    nearest = np.round(uv_b).astype(int)
    inside = (nearest[:, 0] >= 1) & (nearest[:, 0] < 319) & (nearest[:, 1] >= 1) & (nearest[:, 1] < 239) & (z_b > 0)
    pixels, X, uv_b, z_b, nearest = pixels[inside], X[inside], uv_b[inside], z_b[inside], nearest[inside]
    visible = np.abs(depth_b[nearest[:, 1], nearest[:, 0]] - z_b) < 0.02 * z_b   # not occluded in B
    assert inside.mean() > 0.4 and visible.mean() > 0.8
    # B's pixel centre, back-projected with B's depth and projected into A: within a pixel of where we started
    # (the rounding to B's pixel centre moves it at most half a pixel in B).
    X_back = backproject(seq, depth_b, nearest[visible], T_b)
    uv_a, _ = project(seq, X_back, T_a)
    error = np.linalg.norm(uv_a - pixels[visible], axis=1)
    assert np.median(error) < 0.5 and np.percentile(error, 95) < 1.0, (np.median(error), error.max())
    # Same surface point, same colour (bilinear sample in B); shuffled pairs differ far more.
    import cv2
    sampled = cv2.remap(rgb_b, uv_b[visible, 0].astype(np.float32)[None], uv_b[visible, 1].astype(np.float32)[None],
                        cv2.INTER_LINEAR)[0].astype(float)
    original = rgb_a[pixels[visible, 1], pixels[visible, 0]].astype(float)
    difference = np.abs(sampled - original).mean(1)
    shuffled = np.abs(sampled - original[rng.permutation(len(original))]).mean(1)
    assert np.median(difference) < 8 and np.median(shuffled) > 3 * np.median(difference)


def test_a_frame_does_not_depend_on_the_frames_rendered_before():
    """The renderer reuses its buffers from frame to frame.

    Rendering in reverse order gives the same frames, and a returned frame is not overwritten by the next. Low fps
    spreads the frames round the room (boxes in and out of view).
    """
    forward = SyntheticSequence("handheld", 20, (320, 240), seed=5, fps=1.0)
    backward = SyntheticSequence("handheld", 20, (320, 240), seed=5, fps=1.0)
    frames = [forward.frame(i) for i in range(20)]
    for i in reversed(range(20)):
        _, rgb, depth, _ = backward.frame(i)
        np.testing.assert_array_equal(frames[i][1], rgb)
        np.testing.assert_array_equal(frames[i][2], depth)
    assert len({frame[1].tobytes() for frame in frames}) == 20


def yaw_of(poses):
    """Heading about the gravity axis of each camera's optical axis (radians, unwrapped)."""
    return np.unwrap(np.arctan2(poses[:, 0, 2], poses[:, 2, 2]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_street_drive_keeps_to_the_streets_turns_and_keeps_a_cars_speed(seed):
    """2000 frames at 10 Hz (KITTI's rate): a car on the street centre lines, turning at the crossings.

    The poses alone: the scene is built (for seed 0) only to check that the camera is never in or near a box.
    """
    seq = SyntheticSequence("street", 2000, SIZE, seed=seed, fps=10.0)
    p = seq.poses[:, :3, 3]
    assert np.all((p[:, 1] > -1.7) & (p[:, 1] < -1.6)), "1.65 m above the ground (y = 0, y down)"
    off_line = np.minimum(np.abs(p[:, 0, None] - STREETS).min(1), np.abs(p[:, 2, None] - STREETS).min(1))
    assert off_line.max() < 3.5, "on a centre line but where turns cut the corner"
    assert np.abs(p[:, [0, 2]]).max() < STREETS.max() + 1e-6, "inside the grid"
    if seed == 0:
        for box in build_street_scene(0).boxes:      # sidewalks and buildings: 2 m clear of all of them
            near = np.all((p[:, [0, 2]] > box.lo[[0, 2]] - 2.0) & (p[:, [0, 2]] < box.hi[[0, 2]] + 2.0), axis=1)
            assert not near.any(), (box, np.flatnonzero(near)[:5])
    speed = np.linalg.norm(np.diff(p[:, [0, 2]], axis=0), axis=1) * 10.0
    assert 3.5 < speed.min() and speed.max() < 8.0 and 5.0 < np.median(speed) < 8.0, "m/s"
    assert seq.path_length > 1000
    yaw = yaw_of(seq.poses)
    assert np.degrees(np.abs(np.diff(yaw[:600])).sum()) > 180, "turns in the first minute"
    assert np.degrees(np.abs(np.diff(yaw)).max()) * 10 < 35, "deg/s: a car's yaw rate"
    tilt = np.degrees(np.arcsin(np.abs(seq.poses[:, 1, 2])))
    assert tilt.max() < 1.0, "pitch: a car's wobble, the camera looks ahead"


def test_street_drive_is_a_function_of_time():
    """Sampled at 20 Hz it is the 10 Hz drive with frames in between; a longer drive continues a shorter one."""
    at_10 = SyntheticSequence("street", 300, SIZE, seed=3, fps=10.0).poses
    np.testing.assert_array_equal(SyntheticSequence("street", 600, SIZE, seed=3, fps=20.0).poses[::2], at_10)
    np.testing.assert_array_equal(SyntheticSequence("street", 50, SIZE, seed=3, fps=10.0).poses, at_10[:50])
    assert np.abs(SyntheticSequence("street", 300, SIZE, seed=4, fps=10.0).poses - at_10).max() > 1.0


def test_street_depth_lands_on_a_face_and_frames_are_deterministic():
    """Each pixel back-projected with its depth lies on the surface of a box, the ground or the far walls and sky.

    Frames from a scene built afresh for the same seed are the same, bit for bit.
    """
    seq = SyntheticSequence("street", 600, (128, 96), seed=0, fps=10.0)
    scene = build_street_scene(0)
    lo = np.array([scene.lo] + [b.lo for b in scene.boxes])
    hi = np.array([scene.hi] + [b.hi for b in scene.boxes])
    pixels = np.stack(np.meshgrid(np.arange(0, 128, 3), np.arange(0, 96, 3)), -1).reshape(-1, 2)
    ground = 0
    for i in (0, 150, 300, 450, 599):
        _, rgb, depth, T = seq.frame(i)
        assert rgb.std() > 20 and np.all(np.isfinite(depth)) and depth.min() > 0.5
        X = backproject(seq, depth, pixels, T)
        tolerance = 1e-5 * depth[pixels[:, 1], pixels[:, 0], None, None] + 1e-5
        within = np.all((X[:, None] > lo - tolerance) & (X[:, None] < hi + tolerance), axis=2)
        on_plane = np.any((np.abs(X[:, None] - lo) < tolerance) | (np.abs(X[:, None] - hi) < tolerance), axis=2)
        # On a box's surface: inside it (or the bounds) and on one of its planes. Inside the bounds only: the far
        # surfaces, which must then be a face of the bounds.
        on_surface = (within & on_plane)[:, 1:].any(1) | (within[:, 0] & on_plane[:, 0])
        assert on_surface.all(), X[~on_surface][:5]
        ground += np.count_nonzero(np.abs(X[:, 1]) < 1e-4)
    assert ground > 0.2 * 5 * len(pixels), "much of each view is road"
    fresh = Renderer(build_street_scene.__wrapped__(0), seq.camera)
    for i in (0, 599):
        rgb, depth = fresh.render(seq.poses[i])
        np.testing.assert_array_equal(rgb, seq.frame(i)[1])
        np.testing.assert_array_equal(depth, seq.frame(i)[2])


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="trajectory"):
        SyntheticSequence("spiral", 10, SIZE)
    with pytest.raises(ValueError, match="frames"):
        SyntheticSequence("orbit", 0, SIZE)
    with pytest.raises(ValueError, match="16x16"):
        SyntheticSequence("orbit", 10, (8, 8))
