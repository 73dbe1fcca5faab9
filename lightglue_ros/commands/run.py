# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo run SOURCE`: visual odometry offline on an image folder, a video or a ROS bag.

The trajectory is scored against ground truth when given.

    lightglue-vo run frames/ --camera 535.4 539.2 320.1 247.6 --output traj.txt --gt groundtruth.txt --plot traj.png
    lightglue-vo run recording.mcap --topic /camera/image_raw --output traj.txt      # camera from camera_info
    lightglue-vo run synth/rgb --camera-file synth/camera_info.yaml --depth synth/depth --output traj.txt

The trajectory is written as TUM text (world-from-camera in camera optical axes, the first frame at identity),
one line per frame. `--gt` aligns it to the ground truth with Sim(3) (monocular: the scale is arbitrary) or SE(3)
(with depth: the scale is metric) and prints the ATE and RPE (evo), the KITTI odometry metric (translation % and
rotation deg/100 m over 100-800 m segments, or over 10-80 % of a path of 100 m or less) and the scale drift
(estimated / true step length over the last 10 % of the frames vs the first 10 %, and per tenth of the frames).

`--slam` adds the SLAM backend (`lightglue_ros.slam`): loop closures correct the trajectory, and every frame's
final, loop-corrected pose is written; `--save-map FILE` keeps the map, `--load-map FILE` starts in a saved one:
the poses are then in that map's frame and scale, and only the frames localised in it are written (a summary line
says how many). After a loss the tracker's re-initialised keyframes are relocalised in the map (`slam/link.py`);
frames never relocalised are written with the correction the map had at the loss (a summary line says how many).
With `--gt` the map's loops are also checked against it (`slam/ground_truth.py`: how many are false).
`--start-frame N` skips the source's first N frames (e.g. to run a sequence's second half alone).

Wheel odometry makes a monocular run metric: `--wheel-odom FILE` (TUM, the base's poses in the wheel odometry
frame; `--base-from-camera` the camera's mounting on the base), or `--simulate-wheel-odom SCALE_ERR,NOISE[,SEED]`,
made from `--gt` (a wheel radius off by SCALE_ERR, e.g. 0.02, and per-step noise NOISE, e.g. 0.01, as fractions
of the step). The camera's travel between consecutive frames is the tracker's translation prior; the trajectory
is then scored after an SE(3) alignment, without scale.

    lightglue-vo run kitti/image_0 --camera 718.856 718.856 607.1928 185.2157 --gt kitti/groundtruth.txt \
        --simulate-wheel-odom 0.02,0.01 --output traj.txt
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

HELP = "run visual odometry offline on images, a video or a bag"


def add_arguments(parser) -> None:
    parser.add_argument("source", type=Path, help="image folder, video file, rosbag2 folder / .db3 / .mcap, or .bag")
    camera = parser.add_mutually_exclusive_group()
    camera.add_argument("--camera", type=float, nargs="+", metavar="V",
                        help="intrinsics fx fy cx cy [distortion: 4/5 plumb_bob or 8 rational_polynomial]")
    camera.add_argument("--camera-file", type=Path, help="CameraInfo YAML (camera_calibration format)")
    parser.add_argument("--depth", type=Path, help="folder of depth images aligned to the colour images")
    parser.add_argument("--depth-scale", type=float, default=1000.0,
                        help="depth image units per metre for integer images (1000 = mm, TUM RGB-D: 5000)")
    parser.add_argument("--topic", help="image topic of a bag (needed when it has several)")
    parser.add_argument("--depth-topic", help="aligned depth image topic of a bag (16UC1 mm or 32FC1 m)")
    parser.add_argument("--config", type=Path, help="VOConfig YAML: flat, or a vo_node ROS parameter file")
    parser.add_argument("--features", choices=("superpoint", "aliked", "disk"), help="overrides the config")
    parser.add_argument("--max-keypoints", type=int, help="overrides the config")
    parser.add_argument("--device", help="auto, cpu, cuda or cuda:N; overrides the config")
    parser.add_argument("--output", type=Path, required=True, help="trajectory, TUM format")
    parser.add_argument("--gt", type=Path,
                        help="ground truth, TUM format: prints ATE, RPE, the KITTI metric and the scale drift")
    parser.add_argument("--max-time-diff", type=float, default=0.02,
                        help="seconds between an estimate and a ground-truth stamp to pair them (default 0.02)")
    parser.add_argument("--plot", type=Path, help="PNG: trajectory vs ground truth (top view) and error per frame")
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--start-frame", type=int, default=0, help="skip the source's first N frames")
    parser.add_argument("--slam", action="store_true",
                        help="loop closure and relocalisation: write every frame's loop-corrected pose")
    parser.add_argument("--save-map", type=Path, metavar="FILE", help="save the SLAM map (implies --slam)")
    parser.add_argument("--load-map", type=Path, metavar="FILE",
                        help="start in a saved SLAM map (implies --slam): poses in its frame and scale")
    parser.add_argument("--slam-config", type=Path, metavar="FILE", help="SlamConfig YAML (flat mapping)")
    wheel = parser.add_mutually_exclusive_group()
    wheel.add_argument("--wheel-odom", type=Path,
                       help="wheel odometry, TUM format (t x y z qx qy qz qw of the base): metric monocular scale")
    wheel.add_argument("--simulate-wheel-odom", metavar="SCALE_ERR,NOISE[,SEED]",
                       help="wheel odometry simulated from --gt: scale error and per-step noise (fractions)")
    parser.add_argument("--base-from-camera", type=float, nargs=7, metavar=("X", "Y", "Z", "QX", "QY", "QZ", "QW"),
                        help="the camera's pose in the base frame of the wheel odometry (metres, optical axes); "
                        "default: the wheel odometry is the camera's own")


def vo_node_parameters(data: dict):
    """The parameters a ROS parameter file gives vo_node; None when `data` is not one (a flat mapping).

    Its sections apply in file order, a later one winning, as the node would take them: `/**:` (the package's files),
    `vo_node:` (the keying of older files), `/robot1/vo_node:`, `/**/vo_node:`; sections for other nodes are skipped.
    """
    sections = [(str(key), value["ros__parameters"] or {}) for key, value in data.items()
                if isinstance(value, dict) and "ros__parameters" in value]
    if not sections:
        return None
    values = {}
    for key, parameters in sections:
        if key.rstrip("/").rsplit("/", 1)[-1] in ("vo_node", "*", "**"):
            values.update(parameters)
    return values


def load_config(args):
    """The VOConfig from --config (flat mapping or ROS parameter file), then the command-line overrides."""
    import yaml

    from lightglue_ros.vo.config import VOConfig

    values = {}
    if args.config is not None:
        data = yaml.safe_load(args.config.read_text()) or {}
        node = vo_node_parameters(data)
        if node is not None:  # a ROS parameter file also holds the node's own parameters: keep the VO ones
            names = set(VOConfig.__dataclass_fields__)
            values = {k: v for k, v in node.items() if k in names}
        else:
            values = data
    for name in ("features", "max_keypoints", "device"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    return VOConfig.from_dict(values)


class Summary:
    """Per-frame bookkeeping for the final report."""

    def __init__(self):
        from lightglue_ros.vo.tracker import append_pose   # the tracker's modules load with the run, not the CLI

        self._append_pose = append_pose
        self.stamps, self.poses, self.states, self.layers, self.timings = [], [], {}, [], {}
        self.frames = self.tracked = self.keyframes = self.dropped = 0
        self.priors = self.priors_used = 0
        self.prior_reasons = {}     # why a translation prior was not there or not used -> frames
        self.scale = ""

    def add(self, result) -> None:
        self._append_pose(self.stamps, self.poses, result)
        state = getattr(result.state, "value", str(result.state))
        self.states[state] = self.states.get(state, 0) + 1
        # Tracked: the pose came from a measurement (the first frame defines the origin).
        self.tracked += result.solver != "none" or self.frames == 0
        self.keyframes += bool(result.is_keyframe)
        if len(result.matches) or result.stop_layer:
            self.layers.append(result.stop_layer)
        for stage, ms in result.timings.items():
            self.timings.setdefault(stage, []).append(ms)
        self.frames += 1
        self.priors_used += bool(result.prior_used)
        if result.prior_reason:
            self.prior_reasons[result.prior_reason.split(":")[0]] = \
                self.prior_reasons.get(result.prior_reason.split(":")[0], 0) + 1
        self.scale = result.scale

    def no_prior(self, reason: str) -> None:
        key = reason.split(" ")[0] if reason.startswith("stamp") else reason
        self.prior_reasons[key] = self.prior_reasons.get(key, 0) + 1

    def report(self) -> str:
        import numpy as np

        states = ", ".join(f"{k} {v}" for k, v in sorted(self.states.items()))
        layers = f"{np.mean(self.layers):.2f}" if self.layers else "-"
        timings = ", ".join(f"{k} {np.mean(v):.1f}" for k, v in self.timings.items())
        tracked = 100 * self.tracked / max(self.frames, 1)
        text = (f"frames {self.frames} (dropped {self.dropped}), tracked {tracked:.1f} % ({states}), "
                f"keyframes {self.keyframes}, mean LightGlue layers {layers}; mean ms per frame: {timings}; "
                f"scale {self.scale}")
        if self.priors:
            reasons = "".join(f"; {n} x {k}" for k, n in self.prior_reasons.items())
            text += f"; translation priors {self.priors}, used {self.priors_used}{reasons}"
        return text


def wheel_odometry(args, truth):
    """The wheel odometry samples (stamps, T_odom_base N x 4 x 4) of --wheel-odom / --simulate-wheel-odom; or None."""
    import numpy as np

    from lightglue_ros.vo.tum import read_tum
    from lightglue_ros.vo.wheel_odometry import simulate_wheel_odometry

    if args.wheel_odom is not None:
        return read_tum(args.wheel_odom)
    if args.simulate_wheel_odom is None:
        return None
    try:
        values = [float(v) for v in args.simulate_wheel_odom.split(",")]
    except ValueError:
        values = []
    if len(values) not in (2, 3) or not all(np.isfinite(values)) or values[0] <= -1 or values[1] < 0:
        raise ValueError(f"--simulate-wheel-odom {args.simulate_wheel_odom!r}: expected SCALE_ERR,NOISE[,SEED] "
                         "as fractions, e.g. 0.02,0.01")
    if truth is None:
        raise ValueError("--simulate-wheel-odom needs --gt (the wheel odometry is made from the ground truth)")
    stamps, T_world_camera = truth
    T_world_base = T_world_camera @ np.linalg.inv(mounting(args))
    return stamps, simulate_wheel_odometry(stamps, T_world_base, values[0], values[1],
                                           int(values[2]) if len(values) == 3 else 0)


def mounting(args):
    """T_base_camera (4 x 4) from --base-from-camera; identity without it."""
    import numpy as np

    from lightglue_ros.ros.node_config import mounting as checked   # ROS-free: the node's check of the same values
    from lightglue_ros.vo.transforms import transform_from_quaternion

    if args.base_from_camera is None:
        return np.eye(4)
    pose = checked(args.base_from_camera)
    return transform_from_quaternion(pose[:3], pose[3:])


def run(args) -> int:
    try:
        return _run(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"lightglue-vo run: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    import numpy as np
    from scipy.spatial.transform import Rotation
    from tqdm import tqdm

    from lightglue_ros.vo.evaluation import evaluate_trajectory, plot_trajectory
    from lightglue_ros.vo.sources import RosBag, camera_from_values, open_source, read_camera_info_yaml
    from lightglue_ros.vo.tracker import Tracker
    from lightglue_ros.vo.tum import read_tum, write_tum
    from lightglue_ros.vo.wheel_odometry import WheelConfig, WheelOdometry

    config = load_config(args)
    source = open_source(args.source, args.topic, args.depth, args.depth_scale, args.depth_topic)
    camera = read_camera_info_yaml(args.camera_file) if args.camera_file else None
    if args.camera is not None:
        camera_from_values(args.camera, 1, 1)  # bad values fail now; the first image gives the size
    if camera is None and args.camera is None and isinstance(source, RosBag):
        camera = source.camera()
    if camera is None and args.camera is None:
        raise ValueError("no camera: give --camera fx fy cx cy [d...] or --camera-file (a bag's camera_info topic "
                         "is used when it has one)")
    truth = read_tum(args.gt) if args.gt else None  # fail early on a bad file, not after the run
    if args.start_frame < 0:
        raise ValueError(f"--start-frame {args.start_frame}: must be >= 0")
    slam = args.slam or args.save_map is not None or args.load_map is not None
    metric = (args.depth is not None or args.depth_topic is not None) and config.use_depth
    wheel_samples = wheel_odometry(args, truth)
    wheels = WheelOdometry(WheelConfig()) if wheel_samples is not None else None
    T_base_camera = mounting(args)
    next_sample, previous_stamp = 0, None

    tracker = Tracker(config, camera)
    link = None
    summary = Summary()
    total = max(len(source) - args.start_frame, 0)
    total = total if args.max_frames is None else min(total, args.max_frames)
    progress = tqdm(source, total=total or None, unit="frame", desc="vo", dynamic_ncols=True)
    skipped = 0
    for frame in progress:
        if skipped < args.start_frame:
            skipped += 1
            continue
        if args.max_frames is not None and summary.frames + summary.dropped >= args.max_frames:
            break
        height, width = frame.image.shape[:2]
        if camera is None:  # --camera values: the image gives the size
            camera = camera_from_values(args.camera, width, height)
            tracker.set_camera(camera)
        if slam and link is None:
            link = start_slam(args, tracker, camera, metric or wheels is not None)  # wheels: metric too
        if (width, height) != (camera.width, camera.height) and not summary.frames:
            raise ValueError(f"the images are {width}x{height} but the camera is {camera.width}x{camera.height}")
        prior = None
        if wheels is not None:  # the samples up to a little after the frame, as a live node would have them
            while next_sample < len(wheel_samples[0]) and \
                    wheel_samples[0][next_sample] <= frame.stamp + wheels.config.wheel_max_extrapolation_s:
                T = wheel_samples[1][next_sample]
                refused = wheels.add(wheel_samples[0][next_sample], T[:3, 3],
                                     Rotation.from_matrix(T[:3, :3]).as_quat())
                if refused:
                    progress.write(f"wheel odometry sample at {wheel_samples[0][next_sample]:.6f}: {refused}")
                next_sample += 1
            if previous_stamp is not None:
                summary.priors += 1
                prior, why = wheels.travel(previous_stamp, frame.stamp, T_base_camera)
                if prior is None:
                    summary.no_prior(why)
        try:
            result = tracker.process(frame.image, frame.stamp, frame.depth, translation_prior=prior)
        except ValueError as exc:
            summary.dropped += 1
            progress.write(f"dropped frame at {frame.stamp:.6f}: {exc}")
            continue
        summary.add(result)
        if link is not None:
            link.observe(result)
        previous_stamp = frame.stamp
        progress.set_postfix_str(f"{getattr(result.state, 'value', result.state)} inliers {result.num_inliers}")
    progress.close()
    if not summary.frames:
        raise ValueError(f"no frames could be processed from {args.source}")
    stamps, poses = np.array(summary.stamps), np.stack(summary.poses)
    if link is not None:
        stamps, poses = finish_slam(args, link, truth)
    if not len(stamps):
        raise ValueError("no frame was localised in the loaded map: no trajectory written")
    write_tum(args.output, stamps, poses)
    print(f"trajectory: {args.output}")
    print("summary: " + summary.report())

    if truth is not None:
        metric = summary.scale.startswith("metric")   # depth images or a translation prior: no scale to align
        errors = evaluate_trajectory(stamps, poses, *truth, correct_scale=not metric,
                                     max_time_diff=args.max_time_diff)
        print("accuracy: " + errors.summary())
        if link is not None:  # the frontend is the same with or without SLAM: its own trajectory, scored alike
            odometry = evaluate_trajectory(summary.stamps, np.stack(summary.poses), *truth, correct_scale=not metric,
                                           max_time_diff=args.max_time_diff)
            print("accuracy of the odometry alone (no loop closure): " + odometry.summary())
        print("drift: " + errors.kitti_summary())
        print(f"drift: {errors.scale_summary()}; {errors.step_length_summary()}")
        if args.plot:
            plot_trajectory(args.plot, errors, f"{args.source.name}: {config.features}")
            print(f"plot: {args.plot}")
    elif args.plot:
        print("no --gt: nothing to plot against", file=sys.stderr)
    return 0


def start_slam(args, tracker, camera, metric: bool):
    """The SLAM backend and its link to the tracker (inline: an offline run is reproducible)."""
    import yaml

    from lightglue_ros.slam import SlamBackend, SlamConfig, TrackerLink

    values = yaml.safe_load(args.slam_config.read_text()) or {} if args.slam_config else {}
    backend = SlamBackend(SlamConfig.from_dict(values), tracker.matcher, camera.focal, metric,
                          tracker.config.features)
    if args.load_map is not None:
        start = time.perf_counter()
        backend.load(args.load_map)
        print(f"map: loaded {len(backend.database)} keyframes from {args.load_map} in "
              f"{time.perf_counter() - start:.2f} s")
    return TrackerLink(tracker, backend)


def finish_slam(args, link, truth):
    """Every frame's final pose in the map frame (only the localised ones with --load-map), and the reports."""
    from lightglue_ros.slam.ground_truth import loops_against_truth

    link.finish()
    backend = link.backend
    stamps, poses, localised = link.trajectory()
    print(backend.summary())
    if truth is not None:
        print(loops_against_truth(backend, *truth, max_time_diff=args.max_time_diff).summary())
    db = backend.database
    print(f"map: {len(db)} keyframes, {db.nbytes / max(len(db), 1) / 1024:.1f} KiB per keyframe in memory, "
          f"place recognition {backend.index.nbytes / 1024 ** 2:.1f} MiB")
    if args.load_map is not None or not localised.all():   # after a loss: the frames never relocalised
        print(f"localised in the map: {int(localised.sum())} of {len(localised)} frames "
              f"({100 * localised.mean():.1f} %)")
    if args.load_map is not None:
        stamps, poses = stamps[localised], poses[localised]
    if args.save_map is not None:
        size = backend.save(args.save_map)
        print(f"map: saved {args.save_map} ({size / 1024 ** 2:.2f} MiB, "
              f"{size / max(len(db), 1) / 1024:.1f} KiB per keyframe)")
    return stamps, poses
