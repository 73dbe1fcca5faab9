# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The demo: the synthetic camera feeding vo_node, with rviz2 showing odometry against ground truth.

`ros2 launch lightglue_ros demo.launch.py trajectory:=orbit frames:=300`.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

PACKAGE = "lightglue_ros"


def generate_launch_description():
    share = FindPackageShare(PACKAGE)
    arguments = [
        DeclareLaunchArgument("trajectory", default_value="orbit", description="synthetic camera trajectory"),
        DeclareLaunchArgument("frames", default_value="300", description="frames to publish"),
        DeclareLaunchArgument("size", default_value="640x480", description="image size WIDTHxHEIGHT"),
        DeclareLaunchArgument("seed", default_value="0", description="scene seed"),
        DeclareLaunchArgument("fps", default_value="10.0", description="camera frame rate"),
        DeclareLaunchArgument("params_file", default_value=PathJoinSubstitution([share, "config", "vo.yaml"]),
                              description="vo_node parameters"),
        DeclareLaunchArgument("rviz", default_value="true", description="also start rviz2"),
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
    camera = Node(
        package=PACKAGE,
        executable="synthetic_camera",
        name="synthetic_camera",
        namespace="synthetic",
        output="screen",
        parameters=[{
            "trajectory": LaunchConfiguration("trajectory"),
            "frames": LaunchConfiguration("frames"),
            "size": LaunchConfiguration("size"),
            "seed": LaunchConfiguration("seed"),
            "fps": LaunchConfiguration("fps"),
        }],
    )
    vo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", "vo.launch.py"])),
        launch_arguments={
            "image": "/synthetic/image",
            "camera_info": "/synthetic/camera_info",
            "depth": "/synthetic/depth",
            "params_file": LaunchConfiguration("params_file"),
            "fastdds_profile": LaunchConfiguration("fastdds_profile"),
            "rviz": LaunchConfiguration("rviz"),
        }.items(),
    )
    return LaunchDescription([*arguments, fastdds, camera, vo])
