# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Two-view geometry on synthetic correspondences with a known relative pose (so a known essential matrix)."""
import numpy as np
import pytest
from scipy.optimize._numdiff import approx_derivative
from scipy.spatial.transform import Rotation

from lightglue_ros.vo.geometry import (angle_between_deg, fit_rotation, left_jacobian, relative_pose,
                                       rotation_angle_deg, sampson_jacobian, sampson_residuals, skew, triangulate)
from lightglue_ros.vo.scale import (backproject, depth_to_metres, fit_translation, sample_depth,
                                    scale_from_translation_prior)

FOCAL = 500.0


def scene(rng, n=400, R=None, t=None, noise_px=0.3, outlier_ratio=0.0):
    """Points 2-8 m in front of view 0, seen from view 1 = R X0 + t; normalized coordinates with pixel noise."""
    X0 = np.stack([rng.uniform(-3, 3, n), rng.uniform(-2, 2, n), rng.uniform(2, 8, n)], axis=1)
    X1 = X0 @ R.T + t
    x0 = X0[:, :2] / X0[:, 2:] + rng.normal(0, noise_px / FOCAL, (n, 2))
    x1 = X1[:, :2] / X1[:, 2:] + rng.normal(0, noise_px / FOCAL, (n, 2))
    outliers = rng.random(n) < outlier_ratio
    x1[outliers] = rng.uniform(-0.6, 0.6, (outliers.sum(), 2))
    return X0, x0, x1, outliers


def test_sampson_is_zero_for_exact_correspondences():
    rng = np.random.default_rng(0)
    R = Rotation.from_rotvec([0.02, -0.05, 0.01]).as_matrix()
    t = np.array([0.3, 0.05, 0.1])
    _, x0, x1, _ = scene(rng, R=R, t=t, noise_px=0.0)
    assert np.abs(sampson_residuals(skew(t) @ R, x0, x1)).max() < 1e-9
    # ... and not for a wrong essential matrix.
    assert np.median(np.abs(sampson_residuals(skew([0, 0, 1.0]) @ R, x0, x1))) * FOCAL > 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_essential_pose_with_outliers(seed):
    rng = np.random.default_rng(seed)
    R = Rotation.from_rotvec(rng.normal(0, 0.05, 3)).as_matrix()
    t = rng.normal(0, 1, 3)
    t = 0.3 * t / np.linalg.norm(t)
    _, x0, x1, outliers = scene(rng, R=R, t=t, outlier_ratio=0.3)
    pose = relative_pose(x0, x1, FOCAL, threshold_px=1.0)
    assert pose.model == "essential", pose.reason
    assert rotation_angle_deg(pose.R.T @ R) < 0.05
    assert angle_between_deg(pose.t, t) < 0.5
    assert abs(np.linalg.norm(pose.t) - 1.0) < 1e-9
    # Nearly every true correspondence is an inlier and nearly every outlier is rejected.
    assert pose.inliers[~outliers].mean() > 0.95
    assert pose.inliers[outliers].mean() < 0.05
    assert pose.parallax_px > 5  # what the best pure rotation leaves unexplained
    assert pose.covariance.shape == (5, 5) and np.all(np.isfinite(pose.covariance))
    assert np.all(np.linalg.eigvalsh(pose.covariance) > 0)


def test_refinement_does_not_hurt_and_is_tighter_than_ransac():
    errors = {True: [], False: []}
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        R = Rotation.from_rotvec(rng.normal(0, 0.05, 3)).as_matrix()
        t = np.array([0.1, 0.02, 0.05])
        t = 0.1 * t / np.linalg.norm(t)  # ~10 px of parallax: the direction is noise-limited
        _, x0, x1, _ = scene(rng, n=300, R=R, t=t, noise_px=0.5, outlier_ratio=0.2)
        for refine in (True, False):
            pose = relative_pose(x0, x1, FOCAL, threshold_px=1.5, refine=refine)
            errors[refine].append(angle_between_deg(pose.t, t))
    assert np.median(errors[True]) < np.median(errors[False])
    assert np.median(errors[True]) < 1.5


def test_pure_rotation_is_rotation_model():
    rng = np.random.default_rng(3)
    R = Rotation.from_rotvec([0.01, 0.08, -0.02]).as_matrix()
    _, x0, x1, outliers = scene(rng, R=R, t=np.zeros(3), outlier_ratio=0.2)
    pose = relative_pose(x0, x1, FOCAL, threshold_px=1.0, min_parallax_px=2.0)
    assert pose.model == "rotation", pose.reason
    assert np.all(pose.t == 0)
    assert rotation_angle_deg(pose.R.T @ R) < 0.05
    assert pose.inliers[~outliers].mean() > 0.95 and pose.inliers[outliers].mean() < 0.05
    assert pose.parallax_px < 1.0
    assert np.all(np.isfinite(pose.covariance[:3, :3]))


def test_tiny_translation_is_rotation_model_but_clear_translation_is_not():
    rng = np.random.default_rng(4)
    R = Rotation.from_rotvec([0.0, 0.03, 0.0]).as_matrix()
    _, x0, x1, _ = scene(rng, R=R, t=np.array([0.002, 0, 0]))  # ~0.2 px of parallax at 5 m
    assert relative_pose(x0, x1, FOCAL, min_parallax_px=2.0).model == "rotation"
    _, x0, x1, _ = scene(rng, R=R, t=np.array([0.1, 0, 0]))  # ~10 px
    assert relative_pose(x0, x1, FOCAL, min_parallax_px=2.0).model == "essential"


def test_too_few_or_random_matches_fail():
    rng = np.random.default_rng(5)
    R, t = np.eye(3), np.array([0.2, 0.0, 0.0])
    _, x0, x1, _ = scene(rng, n=10, R=R, t=t)
    pose = relative_pose(x0, x1, FOCAL, min_inliers=20)
    assert pose.model == "none" and "need 20" in pose.reason
    x0, x1 = rng.uniform(-0.5, 0.5, (200, 2)), rng.uniform(-0.5, 0.5, (200, 2))
    assert relative_pose(x0, x1, FOCAL, min_inliers=20).model == "none"


def test_triangulate_and_fit_translation_recover_the_scale():
    rng = np.random.default_rng(6)
    R = Rotation.from_rotvec([0.01, -0.02, 0.0]).as_matrix()
    t = np.array([0.25, 0.0, 0.05])
    X0, x0, x1, _ = scene(rng, R=R, t=t, noise_px=0.0)
    Xt, angle = triangulate(R, t, x0, x1)
    np.testing.assert_allclose(Xt, X0, rtol=1e-6)
    assert np.all(angle > 0)
    # Known points fix the translation: with its direction (1 dof) and without (3 dof).
    _, x0n, x1n, _ = scene(np.random.default_rng(6), R=R, t=t, noise_px=0.5)
    for direction in (t / np.linalg.norm(t), None):
        t_fit, inliers, cov = fit_translation(R, X0, x1n, threshold=1.0 / FOCAL, direction=direction)
        assert np.linalg.norm(t_fit - t) / np.linalg.norm(t) < 0.01
        assert inliers.mean() > 0.95 and cov.shape == (3, 3)


def test_fit_rotation_resists_outliers():
    rng = np.random.default_rng(7)
    R = Rotation.from_rotvec([0.05, -0.02, 0.1]).as_matrix()
    _, x0, x1, _ = scene(rng, R=R, t=np.zeros(3), outlier_ratio=0.1)
    assert rotation_angle_deg(fit_rotation(x0, x1).T @ R) < 0.1


def test_depth_conversion_and_sampling():
    mm = np.array([[0, 1000], [2500, 65535]], dtype=np.uint16)
    metres = depth_to_metres(mm)
    assert metres.dtype == np.float32 and np.isnan(metres[0, 0]) and metres[1, 0] == pytest.approx(2.5)
    floats = depth_to_metres(np.array([[np.nan, 1.5], [np.inf, -1.0]], dtype=np.float32))
    assert np.isnan(floats[0, 0]) and floats[0, 1] == 1.5 and np.isnan(floats[1]).all()
    with pytest.raises(ValueError, match="dtype"):
        depth_to_metres(np.zeros((2, 2), dtype=np.int32))
    with pytest.raises(ValueError, match="H x W"):
        depth_to_metres(np.zeros((2, 2, 3), dtype=np.float32))
    # A slanted plane is interpolated bilinearly (exact for a plane's inverse-free linear ramp).
    ramp = depth_to_metres((2000 + 10 * np.arange(8)[None, :] + 20 * np.arange(6)[:, None]).astype(np.uint16))
    z = sample_depth(ramp, np.array([[2.25, 3.5], [0.0, 0.0], [7.0, 5.0], [7.4, 1.0], [8.2, 1.0], [-0.5, 1.0]]),
                     0.1, 10.0)
    np.testing.assert_allclose(z[:4], [2.0 + 0.0225 + 0.07, 2.0, 2.17, 2.09], rtol=1e-6)  # the last: border pixel
    assert np.isnan(z[4]) and np.isnan(z[5])  # outside the image
    # An occlusion edge (1 m in front of 3 m): keypoints whose neighbours straddle it get no depth, and
    # neither do those next to a missing reading or out of range.
    edge = np.full((6, 8), 3.0, np.float32)
    edge[:, :4] = 1.0
    edge[0, 7] = np.nan
    z = sample_depth(edge, np.array([[1.5, 2.0], [3.5, 2.0], [2.9, 2.0], [5.5, 3.0], [6.5, 0.5], [1.0, 1.0]]),
                     0.1, 2.0)
    assert z[0] == 1.0 and np.isnan(z[1]) and z[2] == 1.0 and np.isnan(z[3])  # 3 m > max 2 m
    assert np.isnan(z[4]) and z[5] == 1.0
    assert sample_depth(edge, np.array([[3.5, 2.0]]), 0.1, 10.0, max_edge_ratio=4.0)[0] == pytest.approx(2.0)
    np.testing.assert_allclose(backproject(np.array([[0.1, -0.2]]), np.array([2.0])), [[0.2, -0.4, 2.0]])


def test_scale_from_translation_prior():
    # Previous camera 1 m along x from the keyframe; moving further along x, 0.5 m per frame.
    s = scale_from_translation_prior(np.array([1.0, 0, 0]), np.zeros(3), np.array([1.0, 0, 0]), 0.5)
    assert s == pytest.approx(1.5)


def test_absolute_pose_from_known_points_with_outliers():
    from lightglue_ros.vo.geometry import absolute_pose
    rng = np.random.default_rng(7)
    R = Rotation.from_rotvec([0.01, -0.03, 0.02]).as_matrix()
    t = np.array([0.02, -0.01, 0.05])  # a short baseline: the essential matrix would barely see it
    X0, x0, x1, outliers = scene(rng, R=R, t=t, noise_px=0.3, outlier_ratio=0.2)
    fitted = absolute_pose(X0, x1, FOCAL, threshold_px=1.0, epipolar=(x0, x1))
    assert fitted is not None
    R_est, t_est, inliers, covariance = fitted
    assert rotation_angle_deg(R_est.T @ R) < 0.05
    assert np.linalg.norm(t_est - t) < 0.005
    assert inliers[~outliers].mean() > 0.95 and inliers[outliers].mean() < 0.05
    assert covariance.shape == (6, 6) and np.all(np.linalg.eigvalsh(covariance) > 0)
    assert absolute_pose(X0[:3], x1[:3], FOCAL) is None  # too few points


def test_pose_jacobians_match_finite_differences():
    """The PnP fit's analytic derivatives: Sampson residuals w.r.t. (left rotation, t) and SO(3)'s left Jacobian."""
    rng = np.random.default_rng(3)
    R = Rotation.from_rotvec(rng.normal(size=3) * 0.2).as_matrix()
    t = rng.normal(size=3)
    x0, x1 = rng.normal(size=(30, 2)) * 0.3, rng.normal(size=(30, 2)) * 0.3
    for w in (np.zeros(3), rng.normal(size=3) * 0.3):
        def residuals(p):
            return sampson_residuals(skew(t + p[3:]) @ Rotation.from_rotvec(p[:3]).as_matrix() @ R, x0, x1)

        expected = approx_derivative(residuals, np.concatenate([w, np.zeros(3)]), method="3-point")
        analytic = sampson_jacobian(Rotation.from_rotvec(w).as_matrix() @ R, t, x0, x1)
        analytic[:, :3] = analytic[:, :3] @ left_jacobian(w)
        assert np.abs(analytic - expected).max() < 1e-7 * np.abs(expected).max()
