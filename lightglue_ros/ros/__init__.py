"""The rclpy shell, the only part of the package that imports rclpy.

The VO node, its parameters and QoS, message conversion, the bag player and the synthetic camera node.
"""
