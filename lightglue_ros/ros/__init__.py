"""The rclpy shell: the VO node, its parameters and QoS, message conversion, the bag player and the synthetic
camera node. The only part of the package that imports rclpy."""
