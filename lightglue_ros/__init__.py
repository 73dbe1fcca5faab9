# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""lightglue_ros: visual odometry on learned features (SuperPoint / ALIKED + LightGlue).

`models/` and `vo/` are plain PyTorch / NumPy and import no ROS; `ros/` is the thin rclpy shell (node, bag player,
synthetic camera, parameters, message conversion). Data flows one way: messages -> `ros/` -> `vo/` -> `models/`.
`sim/` is the synthetic world the tests, benchmarks and the synthetic camera render (NumPy, no ROS either).
"""
import os

__version__ = "0.1.0"

# PyTorch's OpenMP workers spin for a while after each parallel op (libgomp's default), on the cores that
# onnxruntime's threads need for the next graph: on 2 cores LightGlue's layers took 1.35x as long beside them.
# Passive workers sleep at once. OpenMP reads this when torch loads, so it is set here, before any of our modules
# imports torch (a process that imported torch first keeps its policy); a value already set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
