# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The pose fit at each keyframe handoff, refitted on its own inputs with parts of them made exact or left out.

    .venv/bin/python bench/pnp_scale.py synthetic street --frames 800 --seed 1 [--set knob=value ...]

Runs the tracker over a synthetic sequence (arguments as bench/scale_drift.py's; the true depth is needed, so
synthetic only). A new monocular keyframe's step comes from the pose fit (`geometry.absolute_pose`) of its frame
to the previous keyframe's known points; bench/scale_drift.py measures that step as longer than those points'
depths say in turns (its `pose` link). Here every such fit is repeated on the matches and points it had, and the
step's length is compared with the true one, each in the scale of the points fitted to (the median estimated / true
depth of the fit's inliers; 1 for true points). Variants, each a log ratio in per cent, summed and averaged per
keyframe reason:
- `as run`: the tracker's fit (estimated points, the epipolar term, depth whitening);
- `no epipolar`, `no whitening`: the same without one of those parts of its cost;
- `true points`: the keyframe's keypoints at their true depths, the frame's real keypoints, the tracker's cost;
- `true points, reprojection only`: neither part (the keypoints' own noise);
- `true points, + epipolar`: the epipolar term back, without whitening;
- `estimated points, exact keypoints`: the frame's keypoints replaced by the true points' exact projections, so
  only the estimated points' errors remain (reprojection only).
A variant that is near zero where `as run` is not has removed the bias's source.
"""
import numpy as np
from scale_drift import pair_reason, source_frames, source_parser

from lightglue_ros.vo.geometry import absolute_pose
from lightglue_ros.vo.tracker import Tracker

VARIANTS = ("as run", "no epipolar", "no whitening", "true points", "true points, reprojection only",
            "true points, + epipolar", "estimated points, exact keypoints")


class RecordingTracker(Tracker):
    """The tracker, keeping the inputs of the pose fit that made each monocular keyframe."""

    def __init__(self, *args, **kwargs):
        self.fits = []   # before the tracker's reset runs
        super().__init__(*args, **kwargs)

    def _adjust_local_map(self, pair, hypothesis):
        keyframe = pair.keyframe
        self.fits.append({"keyframe_id": keyframe.id, "keyframe_frame": keyframe.frame_index,
                          "frame": pair.frame.index, "x0": pair.x0, "x1": pair.x1, "matches": pair.match.matches,
                          "points": keyframe.points.copy(), "angles": keyframe.point_angles.copy(),
                          "reason": "".join(c for c in pair_reason(self, pair, hypothesis) if not c.isdigit())})
        super()._adjust_local_map(pair, hypothesis)


def refit(fit: dict, true_depth: np.ndarray, T_camera_keyframe_true: np.ndarray, config, focal: float) -> dict:
    """Per variant, log(step length / true length / the fitted points' scale) in per cent (nan: no fit)."""
    index = fit["matches"][:, 0]
    usable = np.flatnonzero(np.isfinite(fit["points"][index, 2]) & (true_depth[index] > 0))
    if len(usable) < config.min_scale_points:
        return {}
    points, angles, x1 = fit["points"][index[usable]], fit["angles"][index[usable]], fit["x1"][usable]
    ratio = points[:, 2] / true_depth[index[usable]]
    true_points = np.c_[fit["x0"][usable], np.ones(len(usable))] * true_depth[index[usable]][:, None]
    R, t = T_camera_keyframe_true[:3, :3], T_camera_keyframe_true[:3, 3]
    projected = true_points @ R.T + t
    exact = projected[:, :2] / projected[:, 2:]
    epipolar = (fit["x0"], fit["x1"])

    def step(points, x1, epipolar, angles, estimated):
        fitted = absolute_pose(points, x1, focal, threshold_px=config.pnp_threshold_px,
                               confidence=config.ransac_confidence, max_iters=min(config.ransac_max_iters, 1000),
                               min_inliers=config.min_scale_points, epipolar=epipolar, angles=angles)
        if fitted is None:
            return np.nan
        scale = np.median(ratio[fitted[2]]) if estimated else 1.0
        return 100 * np.log(np.linalg.norm(fitted[1]) / np.linalg.norm(t) / scale)

    return {"as run": step(points, x1, epipolar, angles, True),
            "no epipolar": step(points, x1, None, angles, True),
            "no whitening": step(points, x1, epipolar, None, True),
            "true points": step(true_points, x1, epipolar, angles, False),
            "true points, reprojection only": step(true_points, x1, None, None, False),
            "true points, + epipolar": step(true_points, x1, epipolar, None, False),
            "estimated points, exact keypoints": step(points, exact, None, None, True)}


def main() -> int:
    parser = source_parser(__doc__.splitlines()[0], 800)
    args = parser.parse_args()
    if args.kind != "synthetic":
        parser.error("the refits need the true depth: synthetic sequences only")
    config, frames = source_frames(args)
    tracker, truth, true_depth = None, [], {}
    for camera, stamp, image, depth, pose in frames:
        if tracker is None:
            tracker = RecordingTracker(config, camera)
        result = tracker.process(image, stamp)
        truth.append(pose)
        if result.is_keyframe:
            u, v = np.round(result.keypoints).astype(int).T
            true_depth[tracker.keyframe.id] = depth[np.clip(v, 0, depth.shape[0] - 1),
                                                    np.clip(u, 0, depth.shape[1] - 1)]
    by_reason = {}
    for fit in tracker.fits:
        if fit["keyframe_id"] not in true_depth:
            continue
        T_true = np.linalg.inv(truth[fit["frame"]]) @ truth[fit["keyframe_frame"]]
        row = refit(fit, true_depth[fit["keyframe_id"]], T_true, config, tracker.camera.focal)
        if row:
            by_reason.setdefault(fit["reason"], []).append([row[v] for v in VARIANTS])
    by_reason["all"] = [r for rows in by_reason.values() for r in rows]
    print(f"{len(truth)} frames, {len(by_reason['all'])} handoffs refitted; step length against the truth, "
          "in the fitted points' scale (log, %)")
    print(f"{'variant':<36} " + " ".join(f"{reason[:22]:>24}" for reason in by_reason))
    print(f"{'':<36} " + " ".join(f"{f'sum / mean / n {len(rows)}':>24}" for rows in by_reason.values()))
    for j, variant in enumerate(VARIANTS):
        cells = []
        for rows in by_reason.values():
            values = np.array(rows)[:, j]
            mean = np.mean(values[np.isfinite(values)]) if np.isfinite(values).any() else np.nan
            cells.append(f"{np.nansum(values):+.2f} / {mean:+.3f}")
        print(f"{variant:<36} " + " ".join(f"{c:>24}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
