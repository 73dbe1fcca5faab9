# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Real data over distance: `lightglue-vo run` at its defaults on the whole KITTI 04 (271 frames, 394 m), monocular.

Issue 16: the monocular scale grew steadily along real drives. Here, before the local map's anchors (older
keyframes held fixed with their observations of the window's points): ATE 1.73 m = 0.44 % of the path, scale drift
end/start 1.10, KITTI metric t_err 1.93 %. With them: 0.68 m = 0.17 %, 1.04, 0.91 % (2-core AMD EPYC VM, torch 2.13
CPU; `bench/scale_drift.py kitti ../shared/data/kitti04` shows it per keyframe). A run is chaotic in its last digits
(variants of the same design measured 0.08-0.23 %, 1.02-1.05, 0.65-1.09 %), so the bounds sit between those and
the old numbers.
"""
import re

import numpy as np

from lightglue_ros.cli import main


def test_kitti04_monocular_scale_holds_over_the_drive(data_dir, tmp_path, capsys):
    folder = data_dir / "kitti04"
    output = tmp_path / "trajectory.txt"
    code = main(["run", str(folder / "image_0"), "--camera", *np.loadtxt(folder / "camera.txt").astype(str),
                 "--output", str(output), "--gt", str(folder / "groundtruth.txt")])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert float(re.search(r"tracked ([\d.]+) %", printed).group(1)) == 100.0, printed
    ate = re.search(r"ATE RMSE \(Sim3\) ([\d.]+) m = ([\d.]+) % of the ([\d.]+) m path", printed)
    assert float(ate.group(3)) > 390, printed
    assert float(ate.group(2)) <= 0.3, printed
    drift = float(re.search(r"scale drift \(end/start\): ([\d.]+)", printed).group(1))
    assert abs(drift - 1) <= 0.06, printed
    t_err = float(re.search(r"KITTI metric \(segments [\d.]+-[\d.]+ m, \d+ of them, Sim3-aligned\): t_err ([\d.]+) %",
                            printed).group(1))
    assert t_err <= 1.4, printed
