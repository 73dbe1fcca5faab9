# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The VO node on a live camera: `ros2 launch lightglue_ros vo.launch.py image:=/cam/image_raw ...`.

Launch arguments: the camera topics (remapped onto the node's `image`, `camera_info`, `depth`), the robot's wheel
odometry (onto `wheel_odom`: metric monocular scale), the parameter
file(s), sim time, a namespace and rviz2 with the package's display config.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

PACKAGE = "lightglue_ros"


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    arguments = [
        DeclareLaunchArgument("image", default_value="/camera/image_raw",
                              description="camera image topic (sensor_msgs/Image; /compressed with use_compressed)"),
        DeclareLaunchArgument("camera_info", default_value="/camera/camera_info",
                              description="camera_info topic matching the image"),
        DeclareLaunchArgument("depth", default_value="/camera/aligned_depth_to_color/image_raw",
                              description="depth registered to the colour image (16UC1 mm or 32FC1 m; the same "
                                          "frame_id as the image, else it is not used), used when published; the "
                                          "default is realsense2_camera's aligned topic (align_depth.enable), not "
                                          "the unaligned /camera/depth/image_raw"),
        DeclareLaunchArgument("wheel_odom", default_value="wheel_odom",
                              description="the robot's wheel odometry (nav_msgs/Odometry), used when published: "
                                          "metric monocular scale (never this node's own `odom`)"),
        DeclareLaunchArgument("params_file", default_value=PathJoinSubstitution([share, "config", "vo.yaml"]),
                              description="vo_node parameters (all of them, see config/vo.yaml); keyed /**: "
                                          "as config/*.yaml are, a file applies under any namespace"),
        DeclareLaunchArgument("preset_file", default_value=PathJoinSubstitution([share, "config", "vo.yaml"]),
                              description="overrides applied after params_file, e.g. config/tum.yaml"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="take time from /clock"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the node and its topics"),
        DeclareLaunchArgument("rviz", default_value="false", description="also start rviz2 with rviz/vo.rviz"),
        DeclareLaunchArgument("fastdds_profile",
                              default_value=PathJoinSubstitution([share, "config", "fastdds_large_images.xml"]),
                              description="Fast DDS profile for large images, given to every process this starts "
                                          "(FASTDDS_DEFAULT_PROFILES_FILE; the camera driver needs it too); '' "
                                          "turns it off"),
    ]
    # Before the nodes: Fast DDS reads the profile when a process creates its participant.
    fastdds = SetEnvironmentVariable("FASTDDS_DEFAULT_PROFILES_FILE", LaunchConfiguration("fastdds_profile"),
                                     condition=IfCondition(PythonExpression(
                                         ["'", LaunchConfiguration("fastdds_profile"), "' != ''"])))
    vo_node = Node(
        package=PACKAGE,
        executable="vo_node",
        name="vo_node",
        namespace=LaunchConfiguration("namespace"),
        output="screen",
        parameters=[
            LaunchConfiguration("params_file"),
            LaunchConfiguration("preset_file"),
            {"use_sim_time": LaunchConfiguration("use_sim_time")},
        ],
        remappings=[
            ("image", LaunchConfiguration("image")),
            ("image/compressed", [LaunchConfiguration("image"), "/compressed"]),
            ("camera_info", LaunchConfiguration("camera_info")),
            ("depth", LaunchConfiguration("depth")),
            ("wheel_odom", LaunchConfiguration("wheel_odom")),
        ],
    )
    rviz = Node(
        package="rviz2",
        executable="rviz2",
        name="rviz2",
        arguments=["-d", PathJoinSubstitution([share, "rviz", "vo.rviz"])],
        parameters=[{"use_sim_time": LaunchConfiguration("use_sim_time")}],
        condition=IfCondition(LaunchConfiguration("rviz")),
    )
    return LaunchDescription([*arguments, fastdds, vo_node, rviz])
