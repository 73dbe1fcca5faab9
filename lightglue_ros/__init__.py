"""lightglue_ros: visual odometry on learned features (SuperPoint / ALIKED + LightGlue).

`models/` and `vo/` are plain PyTorch / NumPy and import no ROS; the node modules are thin rclpy shells.
"""
__version__ = "0.1.0"
