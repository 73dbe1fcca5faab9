# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Relocalisation after a loss: a stretch of frames blanked, the run with SLAM scored against ground truth.

    .venv/bin/python bench/slam_loss.py SEQ/rgb --camera-file SEQ/camera_info.yaml --gt SEQ/groundtruth.txt \
        --blank 150 190 [--max-frames N] [--config vo.yaml] [--depth SEQ/depth --depth-scale 5000]

Frames [START, END) of the image folder are replaced by black ones (the camera moves on, the tracker sees nothing);
the tracker and the SLAM backend then run inline, as `lightglue-vo run --slam` does. Printed: where the tracker went
LOST and re-initialised (on its candidate keyframe, or on the old keyframe: no new session then), the backend's
sessions and relocalisations; the share of the frames after the gap localised in the map, at the end and online
(from which frame on); their position error against the ground truth after a Sim(3) (SE(3) with depth) alignment
of the frames before the gap alone (an error in the map frame shows, as in slam_relocalisation.py), then the ATE of
every frame but the blanked ones under one alignment; the odometry's largest step after the gap against the true
one (a jump would show); the step of the online map pose (what the node publishes) at the loss and where it was
relocalised.
"""
import argparse

import numpy as np
import yaml
from evo.core.geometry import umeyama_alignment
from scipy.spatial.transform import Rotation

from lightglue_ros.slam import SlamBackend, SlamConfig, TrackerLink
from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.pose_solvers import TrackingState
from lightglue_ros.vo.sources import ImageFolder, camera_from_values, read_camera_info_yaml
from lightglue_ros.vo.tracker import Tracker
from lightglue_ros.vo.tum import read_tum


def aligned(estimate: np.ndarray, truth: np.ndarray, fit: np.ndarray, scale: bool):
    """Position (m) and orientation (deg) errors of poses `estimate` against `truth` (N x 4 x 4), rows `fit` aligned.

    Orientations are aligned by their own mean rotation (the chordal mean of R_truth R_estimate^T over `fit`): on a
    camera turning on the spot the positions pin the rotation down poorly (as in slam_relocalisation.py).
    """
    R, t, s = umeyama_alignment(estimate[fit, :3, 3].T, truth[fit, :3, 3].T, scale)
    positions = np.linalg.norm(s * estimate[:, :3, 3] @ R.T + t - truth[:, :3, 3], axis=1)
    R_o = Rotation.from_matrix(truth[fit, :3, :3] @ estimate[fit, :3, :3].transpose(0, 2, 1)).mean().as_matrix()
    relative = Rotation.from_matrix((R_o @ estimate[:, :3, :3]).transpose(0, 2, 1) @ truth[:, :3, :3])
    return positions, np.degrees(relative.magnitude())


def rmse(errors: np.ndarray) -> float:
    return float(np.sqrt(np.mean(errors ** 2))) if len(errors) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="image folder")
    camera = parser.add_mutually_exclusive_group(required=True)
    camera.add_argument("--camera", type=float, nargs="+", help="fx fy cx cy [distortion]")
    camera.add_argument("--camera-file", help="CameraInfo YAML")
    parser.add_argument("--gt", required=True, help="ground truth (TUM)")
    parser.add_argument("--blank", type=int, nargs=2, required=True, metavar=("START", "END"))
    parser.add_argument("--config", help="VOConfig YAML (flat)")
    parser.add_argument("--depth", help="aligned depth folder (metric: SE(3) alignment)")
    parser.add_argument("--depth-scale", type=float, default=1000.0)
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--max-time-diff", type=float, default=0.02)
    args = parser.parse_args()
    start, end = args.blank
    config = VOConfig.from_dict(yaml.safe_load(open(args.config)) or {} if args.config else {})
    source = ImageFolder(args.images, args.depth, args.depth_scale)
    tracker = link = None
    stamps, odometry, online, states, reinitialised, localised = [], [], [], [], [], []
    for k, frame in enumerate(source):
        if k == args.max_frames:
            break
        image = np.zeros_like(frame.image) if start <= k < end else frame.image
        if tracker is None:
            height, width = image.shape[:2]
            cam = read_camera_info_yaml(args.camera_file) if args.camera_file else \
                camera_from_values(args.camera, width, height)
            tracker = Tracker(config, cam)
            backend = SlamBackend(SlamConfig(), tracker.matcher, cam.focal, frame.depth is not None, config.features)
            link = TrackerLink(tracker, backend)
        result = tracker.process(image, frame.stamp, frame.depth)
        link.observe(result)
        pose = link.map_pose()
        stamps.append(frame.stamp)
        odometry.append(result.T_world_camera)
        online.append(pose if pose is not None else np.full((4, 4), np.nan))
        states.append(result.state)
        reinitialised.append(getattr(result, "reinitialised", False))
        localised.append(bool(backend.localised.get(backend.session)))
    link.finish()
    final_stamps, final, final_localised = link.trajectory()
    metric = args.depth is not None
    print(backend.summary())

    lost = [k for k, s in enumerate(states) if s == TrackingState.LOST]
    failed = (TrackingState.LOST, TrackingState.DEGENERATE)
    back = next((k for k in range(end, len(states)) if states[k] not in failed), len(states))
    print(f"frames {len(states)}, blanked {start}-{end - 1}; LOST frames {len(lost)} "
          f"({lost[0] if lost else '-'}-{lost[-1] if lost else '-'}), tracked again from frame {back}; "
          f"re-initialised on the candidate at frames {[k for k, r in enumerate(reinitialised) if r]}")

    truth_stamps, truth_poses = read_tum(args.gt)
    nearest = np.array([np.argmin(np.abs(truth_stamps - s)) for s in stamps])
    paired = np.abs(truth_stamps[nearest] - np.array(stamps)) <= args.max_time_diff
    truth_poses = truth_poses[nearest]
    truth = truth_poses[:, :3, 3]
    index = np.arange(len(stamps))
    before, after = paired & (index < start), paired & (index >= back)
    errors, angles = aligned(final, truth_poses, before, not metric)
    mapped = final_localised & after
    relocalised = next((k for k in range(back, len(localised)) if localised[k]), None)
    print(f"from frame {back} on: {mapped.sum()} of {after.sum()} frames localised in the map "
          f"({100 * mapped.sum() / max(after.sum(), 1):.1f} %); online its session localised from frame {relocalised}")
    print(f"position error, the frames before the gap aligned ({'SE3' if metric else 'Sim3'}): before RMSE "
          f"{rmse(errors[before]):.4f} m; from frame {back} RMSE {rmse(errors[after]):.4f} median "
          f"{np.median(errors[after]):.4f} max {errors[after].max(initial=0):.4f} m, of them localised max "
          f"{errors[mapped].max(initial=0):.4f} m; last 20 frames median {np.median(errors[-20:]):.4f} m")
    print(f"orientation error (deg), aligned alike: before median {np.median(angles[before]):.2f}; from frame {back} "
          f"median {np.median(angles[after]):.2f} max {angles[after].max(initial=0):.2f}")
    tracked = before | after
    print(f"ATE RMSE of the frames tracked (not the gap), one alignment: "
          f"{rmse(aligned(final, truth_poses, tracked, not metric)[0][tracked]):.4f} m")

    odometry, online = np.stack(odometry), np.stack(online)
    # Steps in metres: the scale of the odometry before the gap (a monocular re-initialisation may change it).
    _, _, s = umeyama_alignment(odometry[before, :3, 3].T, truth[before].T, not metric)

    def steps(poses, scale=1.0):
        """Per frame: metres (times `scale`) and degrees from the previous one (NaN next to a frame without a pose)."""
        known = np.isfinite(poses[:, 0, 0])
        R = np.where(known[:, None, None], poses[:, :3, :3], np.eye(3))
        turn = np.degrees(Rotation.from_matrix(R[:-1].transpose(0, 2, 1) @ R[1:]).magnitude())
        turn[~(known[:-1] & known[1:])] = np.nan
        return scale * np.linalg.norm(np.diff(poses[:, :3, 3], axis=0), axis=1), turn

    (moved, turned), (true_moved, true_turned) = steps(odometry, s), steps(truth_poses)
    if back < len(states):
        gap_turn = np.degrees((Rotation.from_matrix(truth_poses[start - 1, :3, :3]).inv() *
                               Rotation.from_matrix(truth_poses[back, :3, :3])).magnitude())
        print(f"odometry step into frame {back}: {moved[back - 1]:.4f} m {turned[back - 1]:.2f} deg (the camera moved "
              f"{np.linalg.norm(truth[back] - truth[start - 1]):.4f} m {gap_turn:.1f} deg since frame {start - 1}); "
              f"largest step from then {moved[back:].max(initial=0):.4f} m {turned[back:].max(initial=0):.2f} deg "
              f"(true {true_moved[back:].max(initial=0):.4f} m {true_turned[back:].max(initial=0):.2f} deg)")
        moved, turned = steps(online, s)
        at = f"{moved[relocalised - 1]:.4f} m {turned[relocalised - 1]:.2f} deg" if relocalised else "-"
        print(f"online map pose step into frame {back}: {moved[back - 1]:.4f} m {turned[back - 1]:.2f} deg; into "
              f"frame {relocalised} (relocalised) {at}; frames from {back} without a map pose "
              f"{int(np.isnan(online[back:, 0, 0]).sum())}")


if __name__ == "__main__":
    main()
