# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Where monocular scale drift comes from: per keyframe, the scale against ground truth and what carries it.

    .venv/bin/python bench/scale_drift.py kitti ../shared/data/kitti04 [--frames N] [--set knob=value ...]
    .venv/bin/python bench/scale_drift.py synthetic street --frames 2000 --seed 0 [--size 640x480] [--fps 10]

The tracker runs at the defaults (or with `--set` overrides). Per block of keyframes it prints
- `final`: the step scale, estimated / true distance from the previous keyframe, at the end of the run (after every
  later adjustment), relative to the first keyframes';
- `create`, `BA`: the same step as it was when the keyframe was made, before and after its local bundle adjustment
  (so `BA - create` is what the adjustment does to the scale);
- `points`, `angle`, `track`: the points the keyframe hands on (count, median triangulation angle, mean number of
  local-map keyframes that see each when it is adjusted);
- `depth` (synthetic only): median estimated / true depth of those points, relative to the first keyframes': the
  scale the next keyframes inherit.
With true depths (synthetic), each handoff's links (pose, triangulation, BA: see below), the handoffs with the
largest pose link (`--worst`: their solver, points, rotation from the keyframe, keyframe reason, and `sub`, the
depth ratio of the points the pose was fitted to against all of the keyframe's), and the links summed by solver and by
keyframe reason, with the steps' direction error (a noisy direction alone would lengthen them: E|t + n| > |t|).
Then the drift per keyframe (log-linear fits) and the whole trajectory's ATE, KITTI metric and scale drift.
"""
import argparse
from pathlib import Path

import numpy as np

from lightglue_ros.vo.config import VOConfig
from lightglue_ros.vo.evaluation import evaluate_trajectory
from lightglue_ros.vo.geometry import rotation_angle_deg
from lightglue_ros.vo.tracker import Tracker, append_pose


class RecordingTracker(Tracker):
    """The tracker, recording each keyframe's pose before and after its local bundle adjustment."""

    def reset(self, T_world_camera=None):
        super().reset(T_world_camera)
        self.records = []

    def _adjust_local_map(self, pair, hypothesis):
        before, points_before = self.keyframe.T_world_camera.copy(), self.keyframe.points.copy()
        super()._adjust_local_map(pair, hypothesis)
        keyframe = self.keyframe
        seen = keyframe.landmarks[keyframe.landmarks >= 0]
        track = sum(np.isin(seen, kf.landmarks) for kf in self.local_map.keyframes)
        self.records.append({"keyframe": keyframe, "before": before, "after": keyframe.T_world_camera.copy(),
                             "points_before": points_before, "points_after": keyframe.points.copy(),
                             "reason": "".join(c for c in pair_reason(self, pair, hypothesis) if not c.isdigit()),
                             "solver": hypothesis.solver.value, "num_points": hypothesis.num_points,
                             "known": pair.keyframe.num_points, "parallax": hypothesis.parallax_px,
                             "inliers": int(hypothesis.inliers.sum()), "matches": len(pair.match.matches),
                             "turn": rotation_angle_deg(hypothesis.T_camera_keyframe[:3, :3]),
                             "gap": pair.frame.index - pair.keyframe.frame_index,
                             "pnp_index": pair.match.matches[hypothesis.inliers, 0][
                                 pair.keyframe.known[pair.match.matches[hypothesis.inliers, 0]]],
                             "track": float(np.mean(track)) if len(seen) else np.nan})


def pair_reason(tracker, pair, hypothesis) -> str:
    return tracker._keyframe_reason(pair, hypothesis).split(":")[-1].split("<")[0].split(">")[0].strip()


def median_depth_ratio(points: np.ndarray, true_depth: np.ndarray) -> float:
    known = np.isfinite(points[:, 2]) & (true_depth > 0)
    return float(np.median(points[known, 2] / true_depth[known])) if known.any() else np.nan


def kitti_frames(folder: Path, limit: int):
    """(camera, stamp, image, true depth or None, T_world_camera) of a KITTI-style folder of shared/data."""
    from lightglue_ros.vo.evaluation import load_groundtruth
    from lightglue_ros.vo.sources import ImageFolder, camera_from_values
    intrinsics = np.loadtxt(folder / "camera.txt")
    _, poses = load_groundtruth(folder / "groundtruth.txt")
    camera = None
    for i, frame in enumerate(ImageFolder(folder / "image_0")):
        if limit and i >= limit:
            return
        if camera is None:  # the sequence's one camera, sized by its first image
            camera = camera_from_values(intrinsics, frame.image.shape[1], frame.image.shape[0])
        yield camera, frame.stamp, frame.image, None, poses[i]


def synthetic_frames(trajectory: str, frames: int, size, seed: int, fps: float):
    from lightglue_ros.sim import SyntheticSequence
    sequence = SyntheticSequence(trajectory, frames, size, seed, fps)
    for stamp, rgb, depth, pose in sequence:
        yield sequence.camera, stamp, rgb, depth, pose


def step_scale(start: np.ndarray, end: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Estimated / true length of the steps start[k] -> end[k] (true steps: consecutive rows of `truth`)."""
    return np.linalg.norm(end - start, axis=1) / np.maximum(np.linalg.norm(np.diff(truth, axis=0), axis=1), 1e-9)


def parse_overrides(items):
    defaults, values = VOConfig(), {}
    for item in items:
        key, value = item.split("=", 1)
        kind = type(getattr(defaults, key))
        values[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return VOConfig(**values)


def drift_per_keyframe(ratios: np.ndarray) -> float:
    """Per cent per keyframe of a log-linear fit."""
    good = np.isfinite(ratios) & (ratios > 0)
    return 100 * float(np.polyfit(np.flatnonzero(good), np.log(ratios[good]), 1)[0])


def source_parser(description: str, synthetic_frames_default: int) -> argparse.ArgumentParser:
    """The arguments naming a sequence (KITTI folder or synthetic trajectory) and the VOConfig overrides."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("kind", choices=("kitti", "synthetic"))
    parser.add_argument("source", help="KITTI-style folder of shared/data, or a synthetic trajectory name")
    parser.add_argument("--frames", type=int, default=0,
                        help=f"0: all (KITTI), {synthetic_frames_default} (synthetic)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--set", nargs="*", default=[], metavar="KNOB=VALUE", help="VOConfig overrides")
    parser.set_defaults(synthetic_frames_default=synthetic_frames_default)
    return parser


def source_frames(args):
    """The VOConfig and the frames (see kitti_frames) of the arguments `source_parser` parsed."""
    if args.kind == "kitti":
        frames = kitti_frames(Path(args.source), args.frames)
    else:
        width, height = (int(v) for v in args.size.split("x"))
        frames = synthetic_frames(args.source, args.frames or args.synthetic_frames_default, (width, height),
                                  args.seed, args.fps)
    return parse_overrides(args.set), frames


def main() -> int:
    parser = source_parser(__doc__.splitlines()[0], 2000)
    parser.add_argument("--block", type=int, default=10, help="keyframes per printed row")
    parser.add_argument("--worst", type=int, default=15, help="handoffs listed with the largest pose link")
    args = parser.parse_args()
    config, frames = source_frames(args)

    tracker, stamps, truth, estimate, true_depth, ms = None, [], [], [], {}, []
    for camera, stamp, image, depth, pose in frames:
        if tracker is None:
            tracker, first = RecordingTracker(config, camera), pose
        result = tracker.process(image, stamp)
        append_pose(stamps, estimate, result)
        truth.append(np.linalg.inv(first) @ pose)
        ms.append(result.timings["total"])
        if result.is_keyframe and depth is not None:
            u, v = np.round(result.keypoints).astype(int).T
            true_depth[tracker.keyframe.id] = depth[np.clip(v, 0, depth.shape[0] - 1),
                                                    np.clip(u, 0, depth.shape[1] - 1)]
    truth, estimate = np.array(truth), np.array(estimate)

    records = tracker.records
    keyframes = [r["keyframe"] for r in records]
    true_positions = truth[[kf.frame_index for kf in keyframes], :3, 3]
    final = np.array([kf.T_world_camera[:3, 3] for kf in keyframes])
    before = np.array([r["before"][:3, 3] for r in records])
    after = np.array([r["after"][:3, 3] for r in records])
    # A step as it was when its keyframe was made: from the previous keyframe's adjusted position.
    scale = {"final": step_scale(final[:-1], final[1:], true_positions),
             "create": step_scale(after[:-1], before[1:], true_positions),
             "BA": step_scale(after[:-1], after[1:], true_positions)}
    depth_scale = np.array([np.median(kf.points[kf.known, 2] / true_depth[kf.id][kf.known])
                            if kf.id in true_depth and kf.num_points else np.nan for kf in keyframes[1:]])
    reference = np.median(scale["final"][:5])
    depth_reference = np.nanmedian(depth_scale[:5]) if np.isfinite(depth_scale[:5]).any() else np.nan

    print(f"{len(truth)} frames, {len(records)} bundle-adjusted keyframes, mean {np.mean(ms):.1f} ms/frame")
    print(f"{'kf':>5} {'frame':>6} {'final':>6} {'create':>6} {'BA':>6} {'points':>6} {'angle':>6} {'track':>5} "
          f"{'depth':>6}")
    for start in range(0, len(records) - 1, args.block):
        rows = slice(start, min(start + args.block, len(records) - 1))
        handed_on = keyframes[rows.start + 1:rows.stop + 1]
        angles = [np.degrees(np.median(kf.point_angles[kf.known])) for kf in handed_on if kf.num_points]
        print(f"{rows.start + 1:>5} {handed_on[0].frame_index:>6} "
              + " ".join(f"{np.median(scale[k][rows]) / reference:>6.3f}" for k in ("final", "create", "BA"))
              + f" {np.mean([kf.num_points for kf in handed_on]):>6.0f} {np.mean(angles):>6.2f} "
              f"{np.nanmean([r['track'] for r in records[rows.start + 1:rows.stop + 1]]):>5.1f} "
              f"{np.nanmedian(depth_scale[rows]) / depth_reference if true_depth else np.nan:>6.3f}")
    if true_depth:
        # Each handoff k -> k+1 in three links whose logs sum to the drift: the new keyframe's step against keyframe
        # k's points (pose), its points triangulated at that step (triangulation), their bundle adjustment (BA).
        D_before = np.array([median_depth_ratio(r["points_before"], true_depth[r["keyframe"].id]) for r in records])
        D_after = np.array([median_depth_ratio(r["points_after"], true_depth[r["keyframe"].id]) for r in records])
        links = {"pose": scale["create"][1:] / D_after[1:-1], "triangulation": D_before[2:] / scale["create"][1:],
                 "BA": D_after[2:] / D_before[2:]}
        worst = np.argsort(-np.abs(np.nan_to_num(np.log(links["pose"]))))[:args.worst]
        # The depth ratio of the points the pose was fitted to, against all of the keyframe's: how far the subset
        # that carries the step differs from the scale the keyframe's points have as a whole.
        subset = np.array([median_depth_ratio(r["points_after"][records[j + 2]["pnp_index"]],
                                              true_depth[r["keyframe"].id][records[j + 2]["pnp_index"]])
                           for j, r in enumerate(records[1:-1])]) / D_after[1:-1]
        print(f"pose link vs the PnP points' depth ratio (log, %): correlation "
              f"{np.corrcoef(np.log(links['pose']), np.nan_to_num(np.log(subset)))[0, 1]:.2f}; "
              f"subset mean {100 * np.nanmean(np.log(subset)):+.3f} %")
        print(f"largest pose links: {'kf':>4} {'frame':>5} {'pose%':>6} {'tri%':>6} {'BA%':>6} {'sub%':>6} "
              f"{'solver':>9} {'pnp':>4} {'known':>5} {'inl':>4} {'match':>5} {'par':>5} {'turn':>5} {'gap':>3} reason")
        for j in sorted(worst):
            r = records[j + 2]
            print(f"{'':>19} {j + 2:>4} {r['keyframe'].frame_index:>5} "
                  + " ".join(f"{100 * np.log(links[k][j]):>+6.2f}" for k in ("pose", "triangulation", "BA"))
                  + f" {100 * np.log(subset[j]):>+6.2f}"
                  + f" {r['solver']:>9} {r['num_points'] or 0:>4} {r['known']:>5} {r['inliers']:>4} "
                  f"{r['matches']:>5} {r['parallax']:>5.1f} {r['turn']:>5.2f} {r['gap']:>3} {r['reason']}")
        # The step's direction error at creation: a noisy direction lengthens the step by 1 / cos(error) on
        # average (E|t + n| > |t|) without any error in the points' depths.
        estimated_steps, true_steps = (before[1:] - after[:-1])[1:], np.diff(true_positions, axis=0)[1:]
        cosine = np.sum(estimated_steps * true_steps, axis=1) / np.maximum(
            np.linalg.norm(estimated_steps, axis=1) * np.linalg.norm(true_steps, axis=1), 1e-12)
        direction = np.arccos(np.clip(cosine, -1.0, 1.0))
        for field in ("solver", "reason"):
            for value in sorted({r[field] for r in records[2:]}):
                rows = [j for j in range(len(links["pose"])) if records[j + 2][field] == value]
                print(f"links by {field}: {value}: {len(rows)} handoffs, sum " + ", ".join(
                    f"{k} {100 * np.nansum(np.log(v[rows])):+.2f} %" for k, v in links.items())
                    + f"; step direction error median {np.degrees(np.median(direction[rows])):.2f} deg, "
                    f"its lengthening summed {-100 * np.sum(np.log(np.cos(direction[rows]))):+.2f} %")
        print("handoff links, mean per keyframe: " + ", ".join(
            f"{k} {100 * np.nanmean(np.log(v)):+.3f} % (median {100 * np.nanmedian(np.log(v)):+.3f} %)"
            for k, v in links.items()))
    reasons = {}
    for r in records:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    print("keyframe reasons: " + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])))
    print("drift per keyframe (log-linear fit): step scale "
          + ", ".join(f"{k} {drift_per_keyframe(v):+.3f} %" for k, v in scale.items())
          + (f"; depth scale {drift_per_keyframe(depth_scale):+.3f} %" if true_depth else ""))
    errors = evaluate_trajectory(np.array(stamps), estimate, np.array(stamps), truth)
    print(errors.summary())
    print(errors.kitti_summary())
    print(errors.scale_summary(), errors.step_length_summary(), sep="; ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
