# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Place recognition and verification on real frames: TUM fr1/rpy turns away from a view and back to it.

Frame 319 looks where frame 130 looked 14 s before (2 degrees apart, by the ground truth): VLAD over the map's own
ALIKED descriptors must rank frame 60's keyframe first among keyframes that look elsewhere, and LightGlue + PnP on
its depth points must verify it. A KITTI frame (another world) and the keyframe that looks furthest away must score
lower and be refused by the verification.
"""
import cv2
import numpy as np
import pytest

from lightglue_ros.models.matching import FeatureMatcher
from lightglue_ros.slam import SlamConfig
from lightglue_ros.slam.database import KeyframeRecord
from lightglue_ros.slam.place_recognition import VladIndex
from lightglue_ros.slam.sim3 import decompose, rotation_deg
from lightglue_ros.slam.verification import LoopVerifier
from lightglue_ros.vo.evaluation import interpolate_poses, load_groundtruth
from lightglue_ros.vo.scale import backproject, sample_depth
from lightglue_ros.vo.sources import camera_from_values, read_depth, read_image

DATABASE = (0, 20, 40, 60, 80, 100, 130, 150)    # frames of the map (130 is the one revisited)
REVISITED, QUERY = 130, 319
MAX_KEYPOINTS = 512


def angle(truth, i, j) -> float:
    """Degrees between the true orientations of frames i and j (rpy rolls: the optical axes alone are not enough)."""
    return rotation_deg(truth[i, :3, :3].T @ truth[j, :3, :3])


@pytest.fixture(scope="module")
def rpy(data_dir):
    folder = data_dir / "tum_fr1_rpy"
    rows = [line.split() for line in (folder / "associations.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    camera = camera_from_values([float(v) for v in (folder / "camera.txt").read_text().split()], 640, 480)
    stamps, poses = load_groundtruth(folder / "groundtruth.txt")
    truth = interpolate_poses(stamps, poses, np.array([float(r[0]) for r in rows]))
    matcher = FeatureMatcher("aliked", MAX_KEYPOINTS, 640, "cpu", backend="torch")

    def record(index):
        image = read_image(folder / rows[index][1])
        depth = read_depth(folder / rows[index][3], 5000.0)
        features = matcher.extract(image)
        keypoints = features.keypoints.numpy().astype(np.float64)
        normalized = camera.undistort_points(keypoints)
        points = backproject(normalized, sample_depth(depth, keypoints, 0.1, 10.0))
        return KeyframeRecord.from_arrays(index, 0, float(rows[index][0]), truth[index], keypoints, normalized,
                                          features.descriptors.numpy(), points, (640, 480), True, MAX_KEYPOINTS)
    kitti = read_image(sorted((data_dir / "kitti04" / "image_0").glob("*.png"))[0])
    kitti = cv2.resize(kitti, (640, 194))
    kitti_descriptors = matcher.extract(kitti).descriptors.numpy()
    return {i: record(i) for i in DATABASE + (QUERY,)}, kitti_descriptors, truth, matcher, camera


def test_revisit_found_and_non_revisit_not(rpy):
    records, kitti_descriptors, truth, matcher, camera = rpy
    assert angle(truth, QUERY, REVISITED) < 5
    index = VladIndex(clusters=32, train_keyframes=len(DATABASE))
    for i in DATABASE:
        index.add(i, records[i].descriptors)
    assert index.trained
    query = index.describe(records[QUERY].descriptors)
    ranking = index.query(query, top=len(DATABASE))
    assert ranking[0][0] == REVISITED, f"ranking {ranking}"
    best = ranking[0][1]
    others = [score for key, score in ranking if angle(truth, QUERY, key) > 30]
    assert others and best > max(others) + 0.05, f"revisit {best:.3f} vs views > 30 deg away {others}"
    foreign = index.query(index.describe(kitti_descriptors), top=1)[0][1]
    assert foreign < best - 0.1, f"a KITTI frame scores {foreign:.3f}, the revisit {best:.3f}"


def test_verification_accepts_the_revisit_and_refuses_a_far_view(rpy):
    records, _, truth, matcher, camera = rpy
    verifier = LoopVerifier(matcher, SlamConfig(), camera.focal)
    loop = verifier.verify(records[QUERY], records[REVISITED])
    assert loop.ok, loop.reason
    assert loop.inliers >= 40 and loop.spread >= 0.25
    # The measured relative pose against the ground truth's.
    true = np.linalg.inv(truth[REVISITED]) @ truth[QUERY]
    R, t, s = decompose(loop.S_candidate_query)
    assert s == 1.0
    assert rotation_deg(R.T @ true[:3, :3]) < 2.0
    assert np.linalg.norm(t - true[:3, 3]) < 0.05
    far = max(DATABASE, key=lambda i: angle(truth, QUERY, i))
    refused = verifier.verify(records[QUERY], records[far])
    assert not refused.ok, f"frame {far} ({angle(truth, QUERY, far):.0f} deg away) verified"
