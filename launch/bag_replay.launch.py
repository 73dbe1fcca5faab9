# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A bag through the VO node under sim time.

Our `bag_player` publishes the bag and `/clock`, vo_node runs with `use_sim_time`.
`ros2 launch lightglue_ros bag_replay.launch.py bag:=/data/tum.bag image:=/camera/rgb/image_color
camera_info:=/camera/rgb/camera_info preset_file:=.../config/tum.yaml`.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, SetEnvironmentVariable
from launch.conditions import IfCondition, UnlessCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

PACKAGE = "lightglue_ros"


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    arguments = [
        DeclareLaunchArgument("bag", description="rosbag2 folder, .db3/.mcap file or ROS 1 .bag"),
        DeclareLaunchArgument("rate", default_value="1.0", description="playback speed factor"),
        DeclareLaunchArgument("loop", default_value="false", description="replay the bag forever"),
        DeclareLaunchArgument("image", default_value="/camera/image_raw", description="image topic in the bag"),
        DeclareLaunchArgument("camera_info", default_value="/camera/camera_info",
                              description="camera_info topic in the bag"),
        DeclareLaunchArgument("depth", default_value="/camera/aligned_depth_to_color/image_raw",
                              description="depth topic in the bag (if any), registered to the colour image"),
        DeclareLaunchArgument("params_file", default_value=PathJoinSubstitution([share, "config", "vo.yaml"]),
                              description="vo_node parameters"),
        DeclareLaunchArgument("preset_file", default_value=PathJoinSubstitution([share, "config", "vo.yaml"]),
                              description="overrides applied after params_file, e.g. config/tum.yaml"),
        DeclareLaunchArgument("rviz", default_value="false", description="also start rviz2"),
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

    def bag_player(condition, *extra):
        # The node waits for its subscribers so that the first frames are not lost to discovery.
        return Node(
            package=PACKAGE,
            executable="bag_player",
            name="bag_player",
            output="screen",
            arguments=[LaunchConfiguration("bag"), "--clock", "--rate", LaunchConfiguration("rate"),
                       "--wait-for-subscribers", *extra],
            condition=condition,
        )

    vo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "vo.launch.py"])),
        launch_arguments={
            "image": LaunchConfiguration("image"),
            "camera_info": LaunchConfiguration("camera_info"),
            "depth": LaunchConfiguration("depth"),
            "params_file": LaunchConfiguration("params_file"),
            "fastdds_profile": LaunchConfiguration("fastdds_profile"),
            "preset_file": LaunchConfiguration("preset_file"),
            "use_sim_time": "true",
            "rviz": LaunchConfiguration("rviz"),
        }.items(),
    )
    return LaunchDescription([
        *arguments,
        fastdds,
        vo,
        bag_player(UnlessCondition(LaunchConfiguration("loop"))),
        bag_player(IfCondition(LaunchConfiguration("loop")), "--loop"),
    ])
