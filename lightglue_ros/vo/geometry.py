# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Two-view geometry on undistorted, normalized image coordinates.

Convention: a relative pose (R, t) maps points of view 0 into view 1, X1 = R X0 + t (OpenCV's recoverPose), so
T_view1_view0 = [R | t] and T_view0_view1 is its inverse. Thresholds are in pixels and convert to normalized
coordinates with the camera's mean focal length.

The pipeline of `relative_pose`:
1. essential matrix by USAC MAGSAC++ with a tight pixel threshold (OpenCV),
2. cheirality: which of the four (R, t) factorisations puts the most points in front of both cameras,
3. nonlinear least squares of the Sampson error over the 5 degrees of freedom on the inliers (scipy), with a
   robust loss, then the inlier set is recomputed from the refined model,
4. degeneracy: when a pure rotation explains the inliers to within `min_parallax_px`, translation is not
   observable; the result is a rotation-only model (t = 0) fitted to the inliers.

Once 3D points are known (triangulated at the running scale, or from a depth image), `absolute_pose` fits the
full pose (rotation and scaled translation together) to them: PnP inside RANSAC (OpenCV), then robust
reprojection least squares. Unlike the essential matrix it stays well posed at short baselines.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.transform import Rotation


@dataclass
class TwoViewPose:
    """Relative pose of view 1 w.r.t. view 0 (X1 = R X0 + t) and its support."""

    model: str                      # "essential", "rotation" (t unobservable, t = 0) or "none" (failed)
    R: np.ndarray                   # 3 x 3
    t: np.ndarray                   # 3, unit norm for "essential", else zeros
    inliers: np.ndarray             # N bool
    parallax_px: float              # median rotation-compensated displacement of the inliers, pixels
    covariance: np.ndarray = field(default_factory=lambda: np.full((5, 5), np.nan))
    # 5 x 5 over (rotation vector perturbation on the left of R, 2 tangent directions of t): inlier geometry
    reason: str = ""

    @property
    def num_inliers(self) -> int:
        return int(self.inliers.sum())


def skew(v: np.ndarray) -> np.ndarray:
    """[v]x, the cross-product matrix: 3 -> 3 x 3, or N x 3 -> N x 3 x 3."""
    v = np.asarray(v, dtype=np.float64)
    out = np.zeros(v.shape[:-1] + (3, 3))
    out[..., 0, 1], out[..., 0, 2], out[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    return out - np.swapaxes(out, -1, -2)


def projection_jacobian(X: np.ndarray, focal: float) -> np.ndarray:
    """N x 2 x 3 derivatives of focal * (x / z, y / z) w.r.t. the camera points X (N x 3)."""
    z = X[:, 2]
    d_proj = np.zeros((len(z), 2, 3))
    d_proj[:, 0, 0] = d_proj[:, 1, 1] = focal / z
    d_proj[:, :, 2] = -focal * X[:, :2] / z[:, None] ** 2
    return d_proj


def robust_sigma(residuals: np.ndarray) -> float:
    """Standard deviation of zero-mean Gaussian noise from residual magnitudes: 1.4826 times their median (MAD)."""
    return 1.4826 * np.median(residuals)


def to_homogeneous(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, np.ones((len(x), 1))], axis=1)


def sampson_residuals(E: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Signed Sampson distance of each correspondence to the epipolar geometry E (normalized units)."""
    h0, h1 = to_homogeneous(x0), to_homogeneous(x1)
    Ex0 = h0 @ E.T
    Etx1 = h1 @ E
    num = np.sum(h1 * Ex0, axis=1)
    den = np.sqrt(Ex0[:, 0] ** 2 + Ex0[:, 1] ** 2 + Etx1[:, 0] ** 2 + Etx1[:, 1] ** 2) + 1e-15
    return num / den


def sampson_jacobian(R: np.ndarray, t: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """N x 6 derivatives of `sampson_residuals([t]x R, x0, x1)` w.r.t. (rotation on the left of R, t)."""
    E = skew(t) @ R
    dE = np.concatenate([skew(t) @ skew(np.eye(3)) @ R, skew(np.eye(3)) @ R])   # 6 x 3 x 3
    h0, h1 = to_homogeneous(x0), to_homogeneous(x1)
    Ex0, Etx1 = h0 @ E.T, h1 @ E
    num = np.sum(h1 * Ex0, axis=1)
    den = np.sqrt(Ex0[:, 0] ** 2 + Ex0[:, 1] ** 2 + Etx1[:, 0] ** 2 + Etx1[:, 1] ** 2) + 1e-15
    dEx0, dEtx1 = h0 @ dE.transpose(0, 2, 1), h1 @ dE
    d_num = np.sum(h1 * dEx0, axis=2)
    d_den = (np.sum(Ex0[:, :2] * dEx0[..., :2], axis=2) + np.sum(Etx1[:, :2] * dEtx1[..., :2], axis=2)) / den
    return ((d_num * den - num * d_den) / den ** 2).T


def left_jacobian(w: np.ndarray) -> np.ndarray:
    """SO(3)'s left Jacobian: exp(w + d) = exp(J d) exp(w) to first order in d."""
    theta = np.linalg.norm(w)
    W = skew(w)
    if theta < 1e-8:
        return np.eye(3) + 0.5 * W
    return np.eye(3) + (1 - np.cos(theta)) / theta ** 2 * W + (theta - np.sin(theta)) / theta ** 3 * W @ W


def tangent_basis(t: np.ndarray) -> np.ndarray:
    """3 x 2 orthonormal basis of the plane orthogonal to the unit vector t."""
    a = np.array([1.0, 0.0, 0.0]) if abs(t[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    b1 = np.cross(t, a)
    b1 /= np.linalg.norm(b1)
    return np.stack([b1, np.cross(t, b1)], axis=1)


def triangulate(R: np.ndarray, t: np.ndarray, x0: np.ndarray, x1: np.ndarray):
    """Points in view-0 coordinates (N x 3) from normalized correspondences; plus the ray angle (radians).

    Linear (DLT) triangulation; points behind either camera keep their (negative) depths so callers can test
    cheirality.
    """
    P0 = np.hstack([np.eye(3), np.zeros((3, 1))])
    P1 = np.hstack([R, np.reshape(t, (3, 1))])
    Xh = cv2.triangulatePoints(P0, P1, x0.T.astype(np.float64), x1.T.astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        X0 = (Xh[:3] / Xh[3]).T
    rays0 = to_homogeneous(x0)
    rays1 = to_homogeneous(x1) @ R  # rays of view 1 expressed in view 0 (R^T r)
    cos = np.sum(rays0 * rays1, axis=1) / (np.linalg.norm(rays0, axis=1) * np.linalg.norm(rays1, axis=1))
    return X0, np.arccos(np.clip(cos, -1.0, 1.0))


def rotation_parallax(R: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Per-point displacement (normalized units) left after rotating view-0 rays by R."""
    rotated = to_homogeneous(x0) @ R.T
    with np.errstate(divide="ignore", invalid="ignore"):
        projected = rotated[:, :2] / rotated[:, 2:3]
    d = np.linalg.norm(projected - x1, axis=1)
    return np.where(rotated[:, 2] > 0, d, np.inf)


def epipolar_inliers(R: np.ndarray, t: np.ndarray, x0: np.ndarray, x1: np.ndarray, threshold: float) -> np.ndarray:
    """Correspondences within `threshold` (normalized units) of the epipolar geometry and in front of both views.

    Points whose rays are nearly parallel (distant points, small baselines) triangulate on either side of the
    cameras by noise alone; the cheirality test only applies to rays that meet at a clear angle.
    """
    inliers = np.abs(sampson_residuals(skew(t) @ R, x0, x1)) < threshold
    X0, angle = triangulate(R, t, x0, x1)
    behind = (X0[:, 2] <= 0) | (X0 @ R[2] + t[2] <= 0) | ~np.isfinite(X0[:, 2])
    return inliers & ~(behind & (angle > 2.0 * threshold))


def fit_rotation(x0: np.ndarray, x1: np.ndarray, iterations: int = 5) -> np.ndarray:
    """Rotation R with R ray0 ~ ray1 (orthogonal Procrustes), reweighted to resist the odd outlier."""
    b0 = to_homogeneous(x0)
    b0 /= np.linalg.norm(b0, axis=1, keepdims=True)
    b1 = to_homogeneous(x1)
    b1 /= np.linalg.norm(b1, axis=1, keepdims=True)
    w = np.ones(len(b0))
    R = np.eye(3)
    for _ in range(iterations):
        U, _, Vt = np.linalg.svd((b1 * w[:, None]).T @ b0)
        R = U @ np.diag([1.0, 1.0, np.linalg.det(U @ Vt)]) @ Vt
        r = np.linalg.norm(b0 @ R.T - b1, axis=1)
        scale = robust_sigma(r) + 1e-9
        w = 1.0 / np.maximum(1.0, r / (2.0 * scale))  # Huber-like weights
    return R


def _pose_from_params(params, R0, t0, basis):
    R = Rotation.from_rotvec(params[:3]).as_matrix() @ R0
    t = t0 + basis @ params[3:5]
    return R, t / np.linalg.norm(t)


def refine_essential(R0, t0, x0, x1, focal: float, threshold_px: float):
    """Minimise the robust Sampson error (pixels) over rotation and translation direction.

    Returns (R, t, covariance 5x5) where the covariance follows from the Gauss-Newton normal equations at the
    optimum, scaled by the robust residual variance.
    """
    basis = tangent_basis(t0)

    def residuals(p):
        R, t = _pose_from_params(p, R0, t0, basis)
        return focal * sampson_residuals(skew(t) @ R, x0, x1)

    sol = least_squares(residuals, np.zeros(5), method="trf", loss="cauchy", f_scale=threshold_px,
                        x_scale=1e-3, xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=200)
    R, t = _pose_from_params(sol.x, R0, t0, basis)
    # Covariance of the perturbation around the refined pose (re-linearise there).
    # sol.jac already carries the robust-loss weights, so J^T J is the Gauss-Newton Hessian of the robust cost.
    covariance = fit_covariance(sol.jac, np.abs(sol.fun), floor=1e-12)
    return R, t, covariance if covariance is not None else np.full((5, 5), np.nan)


def _virtual_pixels(x: np.ndarray, focal: float) -> np.ndarray:
    # USAC works on pixel-like coordinates; a virtual camera with the mean focal keeps the threshold in pixels.
    return np.ascontiguousarray(x * focal, dtype=np.float64)


def relative_pose(x0: np.ndarray, x1: np.ndarray, focal: float, threshold_px: float = 1.0,
                  confidence: float = 0.9999, max_iters: int = 10000, min_inliers: int = 20,
                  min_parallax_px: float = 1.0, refine: bool = True) -> TwoViewPose:
    """Robust relative pose from normalized correspondences x0[i] <-> x1[i] (N x 2 each)."""
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1, 2)
    x1 = np.asarray(x1, dtype=np.float64).reshape(-1, 2)
    n = len(x0)
    failed = TwoViewPose("none", np.eye(3), np.zeros(3), np.zeros(n, bool), 0.0)
    if n < max(5, min_inliers):
        failed.reason = f"{n} matches, need {max(5, min_inliers)}"
        return failed

    p0, p1 = _virtual_pixels(x0, focal), _virtual_pixels(x1, focal)
    K = np.array([[focal, 0.0, 0.0], [0.0, focal, 0.0], [0.0, 0.0, 1.0]])
    E, mask = cv2.findEssentialMat(p0, p1, K, method=cv2.USAC_MAGSAC, prob=confidence,
                                   threshold=threshold_px, maxIters=max_iters)
    if E is None or mask is None or E.shape[0] < 3:
        failed.reason = "no essential matrix"
        return failed
    E = E[:3]  # the minimal solver may return several stacked solutions; the first is the best-scored one
    ransac_inliers = mask.ravel().astype(bool)
    if ransac_inliers.sum() < max(5, min_inliers):
        failed.reason = f"{ransac_inliers.sum()} essential-matrix inliers, need {min_inliers}"
        failed.inliers = ransac_inliers
        return failed
    # Cheirality: of the four (R, t) that E factors into, the one that keeps the most correspondences in front of
    # both views. (recoverPose counts only points nearer than 50 baselines, which at video rates can be none,
    # and then picks a wrong factorisation.)
    threshold = threshold_px / focal
    R1, R2, t0 = cv2.decomposeEssentialMat(E)
    candidates = [(R_, sign * t0.ravel()) for R_ in (R1, R2) for sign in (1.0, -1.0)]
    support = [ransac_inliers & epipolar_inliers(R_, t_, x0, x1, threshold) for R_, t_ in candidates]
    best = int(np.argmax([m.sum() for m in support]))
    (R, t), inliers = candidates[best], support[best]
    t = t / np.linalg.norm(t)
    covariance = np.full((5, 5), np.nan)

    if refine and inliers.sum() >= 5:
        R_refined, t_refined, cov_refined = refine_essential(R, t, x0[inliers], x1[inliers], focal, threshold_px)
        # The refined model decides the final inlier set, unless the refinement wandered off (a short baseline's
        # translation direction is barely constrained) and explains fewer correspondences than RANSAC's model.
        refined_inliers = epipolar_inliers(R_refined, t_refined, x0, x1, threshold)
        if refined_inliers.sum() >= 0.9 * inliers.sum():
            R, t, covariance, inliers = R_refined, t_refined, cov_refined, refined_inliers

    # Degeneracy: does a pure rotation explain the inliers nearly as well?
    candidates = inliers if inliers.sum() >= 5 else ransac_inliers
    R_rot = fit_rotation(x0[candidates], x1[candidates])
    rot_residual = rotation_parallax(R_rot, x0, x1)
    # The parallax is what the best pure rotation leaves unexplained: unlike the residual of the essential
    # matrix's own rotation, it does not depend on a translation direction that short baselines barely fix.
    parallax_px = float(np.median(rot_residual[candidates])) * focal
    if parallax_px < min_parallax_px:
        rot_inliers = candidates & (rot_residual < max(min_parallax_px, 2 * threshold_px) / focal)
        if rot_inliers.sum() < min_inliers:
            return TwoViewPose("none", R_rot, np.zeros(3), rot_inliers, parallax_px,
                               reason=f"{rot_inliers.sum()} rotation inliers, need {min_inliers}")
        R_rot = fit_rotation(x0[rot_inliers], x1[rot_inliers])
        return TwoViewPose("rotation", R_rot, np.zeros(3), rot_inliers, parallax_px,
                           _rotation_covariance(R_rot, x0[rot_inliers], x1[rot_inliers], focal),
                           reason=f"parallax {parallax_px:.2f} px < {min_parallax_px} px")
    if inliers.sum() < min_inliers:
        return TwoViewPose("none", R, t, inliers, parallax_px,
                           reason=f"{inliers.sum()} inliers after refinement, need {min_inliers}")
    return TwoViewPose("essential", R, t, inliers, parallax_px, covariance)


def _rotation_covariance(R, x0, x1, focal) -> np.ndarray:
    """5x5 covariance for a rotation-only model: rotation block from the residuals, translation unknown (inf)."""
    n = len(x0)
    r = rotation_parallax(R, x0, x1) * focal
    sigma2 = max(robust_sigma(r) ** 2, 1e-12)
    # Each ray constrains two rotation directions with information ~ focal^2 / sigma^2.
    cov = np.diag([1.0, 1.0, 1.0, np.inf, np.inf])
    cov[:3, :3] = np.eye(3) * sigma2 / (focal ** 2 * max(n, 1) * 2.0 / 3.0)
    return cov


def _reprojection(params, R0, t0, points, x1):
    R = Rotation.from_rotvec(params[:3]).as_matrix() @ R0
    X1 = points @ R.T + (t0 + params[3:6])
    return X1, R, t0 + params[3:6]


def depth_whitening(R: np.ndarray, t: np.ndarray, points: np.ndarray, angles: np.ndarray, focal: float):
    """Per-point 2 x 2 matrices that whiten reprojection errors (pixels) for the uncertain depth of each point.

    A point triangulated from rays meeting at angle a has a relative depth error of about sqrt(2) sigma / (f a)
    (sigma: keypoint noise in pixels). In another view that error moves its projection along one direction g
    (pixels per unit of relative depth), so the error's covariance is sigma^2 (I + c g g^T) with
    c = 2 / (f a)^2; its inverse square root I + (1 / sqrt(1 + c |g|^2) - 1) u u^T (u = g / |g|) turns it back
    into unit noise. Points measured by a depth sensor (a = inf) keep the identity.
    """
    RX = points @ R.T
    X1 = RX + t
    g = focal * (RX[:, :2] / X1[:, 2:3] - X1[:, :2] * (RX[:, 2:3] / X1[:, 2:3] ** 2))
    norm = np.linalg.norm(g, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 2.0 / (focal * np.asarray(angles, dtype=np.float64)) ** 2
        u = np.where(norm[:, None] > 0, g / norm[:, None], 0.0)
    shrink = 1.0 / np.sqrt(1.0 + c * norm ** 2) - 1.0
    return np.eye(2) + shrink[:, None, None] * u[:, :, None] * u[:, None, :]


def absolute_pose(points: np.ndarray, x1: np.ndarray, focal: float, threshold_px: float = 2.0,
                  confidence: float = 0.9999, max_iters: int = 1000, min_inliers: int = 8,
                  epipolar: tuple | None = None, angles: np.ndarray | None = None):
    """Pose (R, t) with x1 ~ project(R X + t) for known points X (N x 3) seen at normalized coordinates x1.

    PnP (P3P) in RANSAC with a pixel threshold (on a virtual camera of the mean focal), then robust (Huber)
    reprojection least squares over the rotation (left perturbation) and translation, started from RANSAC's model,
    and a final plain least-squares fit over the inliers that one finds.
    `epipolar` = (x0, x1) adds the Sampson errors of those correspondences (view 0 = the points' frame) to the
    cost: they constrain rotation and translation direction from the images alone, so errors of triangulated
    points do not feed back into the pose. `angles` (radians, inf for measured depth) are the points'
    triangulation angles: their reprojection errors are whitened for the depth uncertainty (`depth_whitening`),
    and the threshold applies to the whitened error. Returns (R, t, inliers N bool, covariance 6 x 6 over (rotation,
    translation)) or None.
    """
    points = np.ascontiguousarray(points, dtype=np.float64).reshape(-1, 3)
    x1 = np.asarray(x1, dtype=np.float64).reshape(-1, 2)
    if len(points) < max(4, min_inliers):
        return None
    K = np.array([[focal, 0.0, 0.0], [0.0, focal, 0.0], [0.0, 0.0, 1.0]])
    ok, rvec, tvec, index = cv2.solvePnPRansac(points, _virtual_pixels(x1, focal), K, None,
                                               iterationsCount=max_iters, reprojectionError=threshold_px,
                                               confidence=confidence, flags=cv2.SOLVEPNP_AP3P)
    if not ok or index is None or len(index) < max(4, min_inliers):
        return None
    R0, t0 = cv2.Rodrigues(rvec)[0], tvec.ravel()
    if epipolar is not None:  # only correspondences that RANSAC's model already explains
        near = np.abs(sampson_residuals(skew(t0) @ R0, *epipolar)) * focal < 2.0 * threshold_px
        epipolar = (epipolar[0][near], epipolar[1][near])
    use_points = np.ones(len(points), bool)
    use_epipolar = None if epipolar is None else np.ones(len(epipolar[0]), bool)
    whiten = None if angles is None else depth_whitening(R0, t0, points, angles, focal)

    def reprojection_errors(p, use=slice(None)):
        X1, R, t = _reprojection(p, R0, t0, points[use], x1[use])
        error = focal * (X1[:, :2] / X1[:, 2:3] - x1[use])
        if whiten is not None:
            error = np.einsum("nij,nj->ni", whiten[use], error)
        return error, X1, R, t

    def residuals(p):
        error, X1, R, t = reprojection_errors(p, use_points)
        reprojection = error.reshape(-1)
        if epipolar is None:
            return reprojection
        sampson = sampson_residuals(skew(t) @ R, epipolar[0][use_epipolar], epipolar[1][use_epipolar])
        return np.concatenate([reprojection, focal * sampson])

    def jacobian(p):   # analytic: finite differences cost 6 residual evaluations a step
        X1, R, t = _reprojection(p, R0, t0, points[use_points], x1[use_points])
        d_camera_point = np.concatenate([-skew(X1 - t), np.broadcast_to(np.eye(3), (len(X1), 3, 3))], axis=2)
        J = projection_jacobian(X1, focal) @ d_camera_point
        if whiten is not None:
            J = whiten[use_points] @ J
        J = J.reshape(-1, 6)
        if epipolar is not None:
            J = np.concatenate([J, focal * sampson_jacobian(R, t, epipolar[0][use_epipolar],
                                                            epipolar[1][use_epipolar])])
        J[:, :3] = J[:, :3] @ left_jacobian(p[:3])
        return J

    def errors(p):
        error, X1, R, t = reprojection_errors(p)
        error = np.linalg.norm(error, axis=1)
        inliers = (X1[:, 2] > 0) & (error < threshold_px)
        epipolar_ok = None if epipolar is None else \
            np.abs(sampson_residuals(skew(t) @ R, *epipolar)) * focal < threshold_px
        return error, inliers, epipolar_ok, R, t

    # A robust fit over all correspondences finds the inliers; Huber's tail still leans towards the outliers,
    # which are not symmetric (at occlusion edges a keypoint takes the depth of the surface behind, all on one
    # side), so the final fit is plain least squares over the inliers alone.
    sol = least_squares(residuals, np.zeros(6), jacobian, method="trf", loss="huber", f_scale=threshold_px,
                        max_nfev=50, x_scale=1e-2)
    _, use_points, use_epipolar, _, _ = errors(sol.x)
    if use_points.sum() < max(4, min_inliers):
        return None
    sol = least_squares(residuals, sol.x, jacobian, method="trf", max_nfev=50, x_scale=1e-2)
    error, inliers, _, R, t = errors(sol.x)
    if inliers.sum() < max(4, min_inliers):
        return None
    covariance = fit_covariance(sol.jac, error[inliers], floor=1e-12)
    if covariance is None:
        return None
    return R, t, inliers, covariance


def fit_covariance(jacobian: np.ndarray, inlier_errors: np.ndarray, floor: float):
    """Parameter covariance of a least-squares fit; None when the fit leaves a direction unconstrained.

    (J^T J)^-1 scaled by the robust (MAD) variance of the inlier errors.
    """
    sigma2 = max(robust_sigma(inlier_errors) ** 2, floor)
    try:
        return sigma2 * np.linalg.inv(jacobian.T @ jacobian)
    except np.linalg.LinAlgError:
        return None


def rotation_angle_deg(R: np.ndarray) -> float:
    """Angle of a rotation matrix in degrees."""
    return float(np.degrees(np.arccos(np.clip((np.trace(R) - 1.0) / 2.0, -1.0, 1.0))))


def angle_between_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two vectors in degrees (0 when either is zero)."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))))
