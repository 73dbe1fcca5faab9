# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The rclpy shell, the only part of the package that imports rclpy.

The VO node, its parameters and QoS, message conversion, the bag player and the synthetic camera node.
"""
