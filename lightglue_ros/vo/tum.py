# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Trajectories as TUM RGB-D text: one pose per line, `t x y z qx qy qz qw` (world-from-camera), '#' comments."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from .transforms import transform_from_quaternion


def read_tum(path) -> tuple[np.ndarray, np.ndarray]:
    """(stamps N, T_world_camera N x 4 x 4). A malformed line is a ValueError naming the file and line number."""
    stamps, rows = [], []
    with open(path) as f:
        for number, line in enumerate(f, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            fields = text.replace(",", " ").split()
            if len(fields) != 8:
                raise ValueError(f"{path}:{number}: expected 8 numbers (t x y z qx qy qz qw), "
                                 f"got {len(fields)}: {line.strip()!r}")
            try:
                values = [float(v) for v in fields]
            except ValueError:
                raise ValueError(f"{path}:{number}: not a number in {line.strip()!r}") from None
            if not np.all(np.isfinite(values)):
                raise ValueError(f"{path}:{number}: non-finite value in {line.strip()!r}")
            q = np.array(values[4:8])
            if not 0.5 < np.linalg.norm(q) < 1.5:  # far from unit length: not a rotation, likely a wrong format
                raise ValueError(f"{path}:{number}: quaternion norm {np.linalg.norm(q):.3g} is not ~1")
            stamps.append(values[0])
            rows.append(values[1:])
    rows = np.reshape(rows, (-1, 7))
    return np.array(stamps, dtype=np.float64), transform_from_quaternion(rows[:, :3], rows[:, 3:7])


def write_tum(path, stamps, poses) -> None:
    """Write N stamps and N x 4 x 4 poses (world-from-camera) as TUM text, creating the parent folder."""
    stamps = np.asarray(stamps, dtype=np.float64).reshape(-1)
    poses = np.asarray(poses, dtype=np.float64).reshape(-1, 4, 4)
    if len(stamps) != len(poses):
        raise ValueError(f"{len(stamps)} stamps but {len(poses)} poses")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# timestamp tx ty tz qx qy qz qw"]
    if len(poses):
        q = Rotation.from_matrix(poses[:, :3, :3]).as_quat()
        for t, p, qi in zip(stamps, poses[:, :3, 3], q):
            lines.append(f"{t:.9f} " + " ".join(f"{v:.9f}" for v in (*p, *qi)))
    path.write_text("\n".join(lines) + "\n")
