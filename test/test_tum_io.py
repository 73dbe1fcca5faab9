# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""TUM trajectory text: round trip and clear errors."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lightglue_ros.vo.tum import read_tum, write_tum


def test_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    poses = np.tile(np.eye(4), (5, 1, 1))
    poses[:, :3, :3] = Rotation.random(5, random_state=1).as_matrix()
    poses[:, :3, 3] = rng.normal(size=(5, 3))
    stamps = 1341847980.722988 + np.arange(5) * 0.033
    write_tum(tmp_path / "sub" / "traj.txt", stamps, poses)
    read_stamps, read_poses = read_tum(tmp_path / "sub" / "traj.txt")
    np.testing.assert_allclose(read_stamps, stamps, atol=1e-6)
    np.testing.assert_allclose(read_poses, poses, atol=1e-8)


def test_reads_the_real_ground_truth(data_dir):
    stamps, poses = read_tum(data_dir / "tum_fr3_office_17" / "groundtruth.txt")
    assert len(stamps) > 100 and np.all(np.diff(stamps) > 0)
    np.testing.assert_allclose(np.linalg.det(poses[:, :3, :3]), 1.0, atol=1e-6)


def test_comments_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("# header\n\n1.0 1 2 3 0 0 0 1  # trailing\n2.0 1 2 3 0 0 0 1\n")
    stamps, poses = read_tum(path)
    np.testing.assert_allclose(stamps, [1.0, 2.0])
    np.testing.assert_allclose(poses[0, :3, 3], [1, 2, 3])


@pytest.mark.parametrize("line, message", [("1.0 1 2 3 0 0 0", "line 3: expected 8"),
                                           ("1.0 1 2 x 0 0 0 1", "line 3: not a number"),
                                           ("1.0 1 2 3 0 0 0 0", "line 3: quaternion")])
def test_malformed_line_names_the_line(tmp_path, line, message):
    path = tmp_path / "bad.txt"
    path.write_text(f"# header\n0.0 0 0 0 0 0 0 1\n{line}\n")
    with pytest.raises(ValueError, match=message.replace("line 3", r"bad.txt:3")):
        read_tum(path)


def test_mismatched_lengths_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="2 stamps but 1 poses"):
        write_tum(tmp_path / "x.txt", [0.0, 1.0], np.eye(4)[None])


def test_trajectory_scoring_through_files(tmp_path):
    """A similarity-transformed copy of a trajectory scores ~0 after Sim(3) alignment, not after SE(3).

    The copy is written and read back as TUM; a perturbed copy scores its perturbation.
    """
    from lightglue_ros.sim import SyntheticSequence
    from lightglue_ros.vo.evaluation import evaluate_trajectory, plot_trajectory

    seq = SyntheticSequence("handheld", 120, (32, 24), seed=7)   # poses only; nothing is rendered
    truth = seq.relative_poses()
    S = np.eye(4)
    S[:3, :3], S[:3, 3] = Rotation.from_euler("zyx", [30, -50, 10], degrees=True).as_matrix(), [1.0, -2.0, 0.5]
    copy = S @ truth
    copy[:, :3, 3] = 0.3 * copy[:, :3, 3]                      # a monocular run's arbitrary scale
    write_tum(tmp_path / "est.txt", seq.stamps, copy)
    estimate = read_tum(tmp_path / "est.txt")
    sim3 = evaluate_trajectory(*estimate, seq.stamps, truth)
    assert sim3.alignment == "Sim3" and sim3.matched == 120
    assert sim3.ate_rmse < 1e-6 and sim3.rpe_translation_rmse < 1e-6 and sim3.rpe_rotation_rmse_deg < 1e-4
    assert sim3.scale == pytest.approx(1 / 0.3, rel=1e-5)
    se3 = evaluate_trajectory(*estimate, seq.stamps, truth, correct_scale=False)
    assert se3.alignment == "SE3" and se3.ate_rmse > 0.05 * se3.path_length
    noisy = truth.copy()
    noisy[:, :3, 3] += np.random.default_rng(0).normal(scale=0.01, size=(120, 3))
    assert evaluate_trajectory(seq.stamps, noisy, seq.stamps, truth).ate_rmse == pytest.approx(0.017, rel=0.25)
    plot_trajectory(tmp_path / "plot.png", sim3, "test")
    assert (tmp_path / "plot.png").stat().st_size > 10_000
