# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Bundle adjustment and the monocular local map on synthetic correspondences with known poses and points."""
import numpy as np
from scipy.spatial.transform import Rotation

from lightglue_ros.vo.keyframe import Keyframe
from lightglue_ros.vo.local_map import LocalMap, _linearise, bundle_adjust

FOCAL = 300.0


def scene(rng, cameras=6, points=400, noise_px=0.3):
    """Cameras moving sideways and turning (camera-from-world), points in front, noisy observations."""
    X = rng.uniform([-2, -1, 3], [2, 1, 6], (points, 3))
    T = np.tile(np.eye(4), (cameras, 1, 1))
    for k in range(cameras):
        T_world_camera = np.eye(4)
        T_world_camera[:3, :3] = Rotation.from_rotvec([0, 0.02 * k, 0.01 * k]).as_matrix()
        T_world_camera[:3, 3] = [0.1 * k, 0.01 * k, 0.0]
        T[k] = np.linalg.inv(T_world_camera)
    camera, point, observed = [], [], []
    for k in range(cameras):
        Xc = X @ T[k, :3, :3].T + T[k, :3, 3]
        seen = rng.random(points) < 0.7
        camera += [k] * int(seen.sum())
        point += list(np.flatnonzero(seen))
        observed.append(Xc[seen, :2] / Xc[seen, 2:] + rng.normal(0, noise_px / FOCAL, (seen.sum(), 2)))
    return T, X, np.array(camera), np.array(point), np.concatenate(observed)


def reprojection_cost(T, X, camera, point, observed, use):
    residual = _linearise(T[:, :3, :3], T[:, :3, 3], X, camera, point, observed, FOCAL)[0]
    return float(np.sum(residual[use] ** 2))


def test_bundle_adjustment_converges_and_rejects_outliers():
    rng = np.random.default_rng(0)
    T, X, camera, point, observed = scene(rng)
    observed[:20] += 0.05  # 15 px off: outliers
    start_T, start_X = T.copy(), X * (1 + rng.normal(0, 0.05, (len(X), 1)))  # 5 % depth noise
    for k in range(2, len(T)):
        start_T[k, :3, :3] = Rotation.from_rotvec(rng.normal(0, 0.005, 3)).as_matrix() @ T[k, :3, :3]
        start_T[k, :3, 3] += rng.normal(0, 0.02, 3)
    T_out, X_out, inliers = bundle_adjust(start_T, start_X, camera, point, observed, FOCAL, threshold_px=1.0)

    np.testing.assert_array_equal(T_out[:2], T[:2])  # the gauge: two fixed cameras
    assert not inliers[:20].any() and inliers[20:].mean() > 0.95
    good = np.arange(len(observed)) >= 20
    # Converged: the reprojection cost is at or below the truth's (the fit absorbs some noise).
    assert reprojection_cost(T_out, X_out, camera, point, observed, good) <= \
        reprojection_cost(T, X, camera, point, observed, good)
    for k in range(2, len(T)):
        rotation = np.degrees(np.linalg.norm(Rotation.from_matrix(T_out[k, :3, :3] @ T[k, :3, :3].T).as_rotvec()))
        assert rotation < 0.1
        assert np.linalg.norm(T_out[k, :3, 3] - T[k, :3, 3]) < 0.25 * np.linalg.norm(start_T[k, :3, 3] - T[k, :3, 3])
    assert np.median(np.linalg.norm(X_out - X, axis=1)) < 0.5 * np.median(np.linalg.norm(start_X - X, axis=1))


def keyframe(index, T_world_camera, normalized, points):
    n = len(normalized)
    return Keyframe(index, float(index), index, T_world_camera, np.zeros((6, 6)), None, normalized * FOCAL,
                    normalized, np.zeros((n, 3)), points, np.full(n, np.radians(2.0)))


def test_local_map_links_landmarks_adjusts_the_newest_keyframe_and_restarts_on_a_gap():
    rng = np.random.default_rng(1)
    T, X, _, _, _ = scene(rng, cameras=4, points=60, noise_px=0.0)
    keyframes = []
    for k in range(4):
        Xc = X @ T[k, :3, :3].T + T[k, :3, 3]
        points = Xc * (1 + rng.normal(0, 0.02, (len(X), 1)))  # noisy depths, as triangulated
        keyframes.append(keyframe(k, np.linalg.inv(T[k]), Xc[:, :2] / Xc[:, 2:], points))
    keyframes[2].T_world_camera[:3, 3] += [0.01, -0.005, 0.0]  # a drifted pose for the adjustment to remove
    local_map = LocalMap(size=6, threshold_px=1.0, anchors=0, search_radius_px=4.0)
    same = np.stack([np.arange(len(X))] * 2, axis=1)  # keypoint i of every keyframe sees point i
    local_map.add(keyframes[0])
    assert not local_map.adjust(FOCAL)  # one keyframe: nothing to move
    for k in range(1, 4):
        local_map.add(keyframes[k], keyframes[k - 1], same)
    assert (keyframes[3].landmarks == keyframes[0].landmarks).all() and (keyframes[0].landmarks >= 0).all()
    assert local_map.adjust(FOCAL)
    assert np.linalg.norm(keyframes[2].T_world_camera[:3, 3] - np.linalg.inv(T[2])[:3, 3]) < 2e-3
    newest = keyframes[3]
    truth = X @ T[3, :3, :3].T + T[3, :3, 3]
    assert np.median(np.abs(newest.points[:, 2] / truth[:, 2] - 1)) < 0.005  # from 2 % noise
    assert (newest.point_angles >= np.radians(2.0)).all()

    # A keyframe that does not follow the window's last one (re-initialisation) starts a new window.
    restart = keyframe(9, np.eye(4), keyframes[0].normalized, keyframes[0].points.copy())
    local_map.add(restart, keyframes[1], same)
    assert list(local_map.keyframes) == [keyframes[1], restart]
    assert not local_map.adjust(FOCAL)


def test_narrow_landmarks_stay_out_of_the_adjustment():
    """Landmarks whose keyframes' points meet at less than `min_angle_deg` are neither adjusted nor move the poses.

    Every keyframe's points carry 2 % depth noise; the first half of them have a (recorded) angle of 0.5 degrees,
    the rest 2 degrees. At 1 degree the narrow half of the newest keyframe's points stay as triangulated while the
    wide half is refined; at 0 both are.
    """
    rng = np.random.default_rng(4)
    T, X, _, _, _ = scene(rng, cameras=4, points=80, noise_px=0.0)
    narrow = np.arange(len(X)) < len(X) // 2
    same = np.stack([np.arange(len(X))] * 2, axis=1)
    depth_noise = 1 + rng.normal(0, 0.02, (4, len(X), 1))
    truth = X @ T[3, :3, :3].T + T[3, :3, 3]
    for min_angle_deg in (1.0, 0.0):
        keyframes = []
        for k in range(4):
            Xc = X @ T[k, :3, :3].T + T[k, :3, 3]
            keyframes.append(keyframe(k, np.linalg.inv(T[k]), Xc[:, :2] / Xc[:, 2:], Xc * depth_noise[k]))
            keyframes[-1].point_angles[narrow] = np.radians(0.5)
        keyframes[2].T_world_camera[:3, 3] += [0.01, -0.005, 0.0]
        local_map = LocalMap(size=6, threshold_px=1.0, anchors=0, search_radius_px=0.0, min_angle_deg=min_angle_deg)
        local_map.add(keyframes[0])
        for k in range(1, 4):
            local_map.add(keyframes[k], keyframes[k - 1], same)
        triangulated = keyframes[3].points.copy()
        assert local_map.adjust(FOCAL)
        newest = keyframes[3]
        error = np.abs(newest.points[:, 2] / truth[:, 2] - 1)
        assert np.median(error[~narrow]) < 0.005                    # refined from 2 % noise
        if min_angle_deg:
            np.testing.assert_array_equal(newest.points[narrow], triangulated[narrow])
        else:
            assert np.median(error[narrow]) < 0.005
        assert np.linalg.norm(keyframes[2].T_world_camera[:3, 3] - np.linalg.inv(T[2])[:3, 3]) < 2e-3


def test_anchors_hold_the_scale_that_the_windows_fixed_pair_gets_wrong():
    """Older keyframes that see the window's points hold its scale; the window's 2 fixed keyframes alone do not.

    The window's fixed pair has a baseline 5 % too long (the error a handoff leaves); without anchors the adjusted
    keyframes take that scale, with them they stay near the truth, and the anchors themselves do not move. The same
    noise in every run.
    """
    rng = np.random.default_rng(2)
    T, X, _, _, _ = scene(rng, cameras=8, points=120, noise_px=0.0)
    T_world_camera = np.linalg.inv(T)
    T_world_camera[5, :3, 3] = T_world_camera[4, :3, 3] + 1.05 * (T_world_camera[5, :3, 3] - T_world_camera[4, :3, 3])
    T_world_camera[6:, :3, 3] += rng.normal(0, 0.005, (2, 3))   # the free keyframes start off their true poses
    depth_noise = 1 + rng.normal(0, 0.02, (8, len(X), 1))       # as triangulated
    same = np.stack([np.arange(len(X))] * 2, axis=1)
    errors = {}
    for anchors in (0, 1, 4):
        keyframes = []
        for k in range(8):
            Xc = X @ T[k, :3, :3].T + T[k, :3, 3]
            keyframes.append(keyframe(k, T_world_camera[k].copy(), Xc[:, :2] / Xc[:, 2:], Xc * depth_noise[k]))
        local_map = LocalMap(size=4, threshold_px=1.0, anchors=anchors, search_radius_px=0.0)
        local_map.add(keyframes[0])
        for k in range(1, 8):
            local_map.add(keyframes[k], keyframes[k - 1], same)
        assert list(local_map.keyframes) == keyframes[4 - anchors:]
        assert local_map.adjust(FOCAL)
        for k in range(4 - anchors, 8):  # the anchors and the window's 2 oldest stay where they were, the rest move
            moved = not np.array_equal(keyframes[k].T_world_camera, T_world_camera[k])
            assert moved == (k >= 6), (anchors, k)
        errors[anchors] = max(np.linalg.norm(keyframes[k].T_world_camera[:3, 3] - np.linalg.inv(T[k])[:3, 3])
                              for k in (6, 7))
    step = np.linalg.norm(np.linalg.inv(T[1])[:3, 3] - np.linalg.inv(T[0])[:3, 3])
    assert errors[0] > 0.03 * step          # the fixed pair's 5 % is taken over
    assert errors[4] < errors[1] < errors[0] and errors[4] < 0.4 * errors[0], errors


def test_refind_links_landmarks_the_chain_of_matches_lost():
    """A point the middle keyframe's matches missed is found again in the newest keyframe, by projection and descriptor.

    Keyframes 0-1-2: the 0-1 matches link every point, the 1-2 matches only the first half. Keyframe 2's other
    keypoints get their landmark back where the descriptor agrees; where it does not (a different point's
    descriptor) or the search is disabled, they stay unlinked.
    """
    rng = np.random.default_rng(3)
    T, X, _, _, _ = scene(rng, cameras=3, points=80, noise_px=0.0)
    descriptors = rng.normal(size=(len(X), 64))
    descriptors /= np.linalg.norm(descriptors, axis=1, keepdims=True)
    half = len(X) // 2
    same = np.stack([np.arange(len(X))] * 2, axis=1)
    for radius in (4.0, 0.0):
        keyframes = []
        for k in range(3):
            Xc = X @ T[k, :3, :3].T + T[k, :3, 3]
            kf = keyframe(k, np.linalg.inv(T[k]), Xc[:, :2] / Xc[:, 2:] + rng.normal(0, 0.3 / FOCAL, (len(X), 2)),
                          Xc.copy())
            noisy = descriptors + rng.normal(0, 0.02, descriptors.shape)
            kf.descriptors = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float16)
            keyframes.append(kf)
        swapped = np.arange(half + 10, half + 20)   # keyframe 2 sees these points with other points' descriptors
        keyframes[2].descriptors[swapped] = descriptors[(swapped + 17) % len(X)].astype(np.float16)
        local_map = LocalMap(size=6, threshold_px=1.0, anchors=0, search_radius_px=radius)
        local_map.add(keyframes[0])
        local_map.add(keyframes[1], keyframes[0], same)
        local_map.add(keyframes[2], keyframes[1], same[:half])
        assert (keyframes[2].landmarks[half:] < 0).all()
        found = local_map.refind(FOCAL)
        newest, first = keyframes[2].landmarks, keyframes[0].landmarks
        if radius == 0:
            assert found == 0 and (newest[half:] < 0).all()
            continue
        relinked = np.setdiff1d(np.arange(half, len(X)), swapped)
        assert found == len(relinked)
        np.testing.assert_array_equal(newest[relinked], first[relinked])
        assert (newest[swapped] < 0).all()
        np.testing.assert_array_equal(newest[:half], first[:half])   # the chain's links are untouched
        assert local_map.adjust(FOCAL)      # and the adjustment takes the re-found observations


def test_refind_leaves_the_matches_the_pose_fit_rejected_unlinked():
    """What a pose fit rejected is not re-found: this keyframe's rejected keypoints, earlier rejected landmarks.

    Keyframes 0-1-2-3, every point seen by each with its own descriptor: 0-1 link every point; 1-2 link the first
    half and reject 10 wrong matches of the second (keyframe 1's points 40-49 to keyframe 2's 50-59); 2-3 link
    the first half. The search re-finds in keyframe 2 the second half but the rejected matches' 20 points (their
    landmarks and their keypoints), in keyframe 3 all but the 10 rejected landmarks.
    """
    rng = np.random.default_rng(5)
    T, X, _, _, _ = scene(rng, cameras=4, points=80, noise_px=0.0)
    descriptors = rng.normal(size=(len(X), 64))
    descriptors /= np.linalg.norm(descriptors, axis=1, keepdims=True)
    half, same = len(X) // 2, np.stack([np.arange(len(X))] * 2, axis=1)
    rejected = np.stack([np.arange(half, half + 10), np.arange(half + 10, half + 20)], axis=1)
    keyframes = []
    for k in range(4):
        Xc = X @ T[k, :3, :3].T + T[k, :3, 3]
        kf = keyframe(k, np.linalg.inv(T[k]), Xc[:, :2] / Xc[:, 2:], Xc.copy())
        kf.descriptors = descriptors.astype(np.float16)
        keyframes.append(kf)
    local_map = LocalMap(size=6, threshold_px=1.0, anchors=0, search_radius_px=4.0)
    local_map.add(keyframes[0])
    local_map.add(keyframes[1], keyframes[0], same)
    local_map.add(keyframes[2], keyframes[1], same[:half], rejected)
    assert local_map.refind(FOCAL) == half - 20
    found = np.flatnonzero(keyframes[2].landmarks[half:] >= 0) + half
    np.testing.assert_array_equal(found, np.arange(half + 20, len(X)))
    keyframes[2].landmarks[found] = -1        # as if the search had been off at keyframe 2
    local_map.add(keyframes[3], keyframes[2], same[:half])
    assert local_map.refind(FOCAL) == half - 10
    found = np.flatnonzero(keyframes[3].landmarks[half:] >= 0) + half
    np.testing.assert_array_equal(found, np.arange(half + 10, len(X)))
    np.testing.assert_array_equal(keyframes[3].landmarks[found], keyframes[0].landmarks[found])
