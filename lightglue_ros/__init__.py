# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""lightglue_ros: visual odometry on learned features (SuperPoint / ALIKED + LightGlue).

`models/` and `vo/` are plain PyTorch / NumPy and import no ROS; `ros/` is the thin rclpy shell (node, bag player,
synthetic camera, parameters, message conversion). Data flows one way: messages -> `ros/` -> `vo/` -> `models/`.
`sim/` is the synthetic world the tests, benchmarks and the synthetic camera render (NumPy, no ROS either).
"""
__version__ = "0.1.0"
