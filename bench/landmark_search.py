# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The landmark search: the landmarks it re-finds, against where the true poses put them.

    .venv/bin/python bench/landmark_search.py kitti ../shared/data/kitti01_51 [--set landmark_search_radius_px=4]
    .venv/bin/python bench/landmark_search.py synthetic street --frames 300 --seed 1 [--set ...]

Runs the tracker over a KITTI-style folder of shared/data or a synthetic sequence (arguments as
bench/scale_drift.py's; `--set`: VOConfig overrides).
At each keyframe's bundle adjustment, every landmark its keypoints see is checked against the ground truth: the
landmark is triangulated from its older observations with the true poses and projected into the keyframe with
its true pose. Printed for the observations the search re-found and for those the chain of matches linked:
- `error`: the keypoint's distance from that projection (pixels; the true poses' own error is in both);
- `radial`: its component away from the focus of expansion (the direction of the camera's motion since the
  landmark's newest older observation); a negative mean is a keypoint too near it, as a too-deep landmark's is;
- `predicted`: the same for the landmark's projection with the tracker's pose and landmark position before the
  adjustment (where the search looked);
- `rejected`: re-found landmarks whose match to the previous keyframe the pose fit had rejected.
"""
import numpy as np
from scale_drift import source_frames, source_parser

from lightglue_ros.vo.local_map import LocalMap
from lightglue_ros.vo.tracker import Tracker


class RecordingLocalMap(LocalMap):
    """The local map, recording for each search the newest keyframe's observations and the older ones."""

    records: list
    just_rejected = np.zeros(0, np.int64)   # the previous keyframe's landmarks in matches the pose fit rejected

    def refind(self, focal: float) -> int:
        keyframe = self.keyframes[-1]
        before = keyframe.landmarks.copy()
        T_camera_world = np.linalg.inv(keyframe.T_world_camera)
        predicted = {i: X @ T_camera_world[:3, :3].T + T_camera_world[:3, 3] for i, X in self.positions.items()}
        found = super().refind(focal)
        older = list(self.keyframes)[:-1]
        for linked, kind in ((before >= 0, "chain"), ((before < 0) & (keyframe.landmarks >= 0), "re-found")):
            for index in np.flatnonzero(linked):
                landmark = int(keyframe.landmarks[index])
                seen = [(kf.frame_index, kf.normalized[kf.landmarks == landmark][0])
                        for kf in older if (kf.landmarks == landmark).any()]
                if len(seen) >= 2 and landmark in predicted:
                    self.records.append((kind, keyframe.frame_index, keyframe.normalized[index],
                                         predicted[landmark], seen, landmark in self.just_rejected))
        return found


class RecordingTracker(Tracker):
    """The tracker with that local map, telling it which matches each pose fit rejected."""

    def __init__(self, *args, **kwargs):
        self.records = []   # before the tracker's reset makes the first local map
        super().__init__(*args, **kwargs)

    def _adjust_local_map(self, pair, hypothesis):
        self.local_map.just_rejected = pair.keyframe.landmarks[pair.match.matches[~hypothesis.inliers, 0]]
        super()._adjust_local_map(pair, hypothesis)

    def _new_local_map(self) -> LocalMap:
        local_map = RecordingLocalMap(*self._local_map_settings())
        local_map.records = self.records
        return local_map


def triangulate(seen, T_camera_world) -> np.ndarray:
    """World point from normalized observations (frame index, x) in several views with their true poses (DLT)."""
    rows = []
    for frame, x in seen:
        P = T_camera_world[frame, :3]
        rows += [x[0] * P[2] - P[0], x[1] * P[2] - P[1]]
    X = np.linalg.svd(np.array(rows))[2][-1]
    return X[:3] / X[3]


def errors(record, truth, T_camera_world, focal):
    """(error, radial, predicted error, predicted radial) in pixels, or None behind the camera.

    `truth`: the true world-from-camera poses per frame, `T_camera_world` their inverses.
    """
    _, frame, observed, predicted, seen, _ = record
    R, t = T_camera_world[frame, :3, :3], T_camera_world[frame, :3, 3]
    Xc = R @ triangulate(seen, T_camera_world) + t
    if Xc[2] <= 0 or predicted[2] <= 0:
        return None
    true = Xc[:2] / Xc[2]
    motion = R @ (truth[frame, :3, 3] - truth[seen[-1][0], :3, 3])
    focus = motion[:2] / motion[2] if abs(motion[2]) > 1e-9 else np.zeros(2)
    outward = (true - focus) / max(np.linalg.norm(true - focus), 1e-12)
    offsets = [observed - true, predicted[:2] / predicted[2] - true]
    return [v for d in offsets for v in (focal * np.linalg.norm(d), focal * d @ outward)]


def main() -> int:
    args = source_parser(__doc__.splitlines()[0], 300).parse_args()
    config, frames = source_frames(args)
    tracker, truth = None, []
    for camera, stamp, image, _, pose in frames:
        if tracker is None:
            tracker = RecordingTracker(config, camera)
        tracker.process(image, stamp)
        truth.append(pose)
    truth = np.array(truth)
    T_camera_world = np.linalg.inv(truth)
    print(f"{len(truth)} frames, landmark_search_radius_px {config.landmark_search_radius_px:g}")
    print(f"{'':>9} {'observations':>12} {'error median':>12} {'> 3 px':>6} {'radial mean':>11} "
          f"{'predicted error':>15} {'predicted radial':>16} {'rejected':>8}")
    for kind in ("chain", "re-found"):
        records = [r for r in tracker.records if r[0] == kind]
        checked = [(errors(r, truth, T_camera_world, tracker.camera.focal), r[5]) for r in records]
        values = [(e, rejected) for e, rejected in checked if e is not None]
        if not values:
            print(f"{kind:>9} {0:>12}")
            continue
        e = np.array([v for v, _ in values])
        sem = e[:, 1].std() / np.sqrt(len(e))
        print(f"{kind:>9} {len(e):>12} {np.median(e[:, 0]):>12.2f} {np.mean(e[:, 0] > 3):>6.2f} "
              f"{e[:, 1].mean():>+7.2f}±{sem:.2f} {np.median(e[:, 2]):>15.2f} {e[:, 3].mean():>+16.2f} "
              f"{sum(r for _, r in values):>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
