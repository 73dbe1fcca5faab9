# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""config/vo.yaml is what the dataclasses say, and the presets only override declared parameters with valid values."""
import argparse
import dataclasses
from pathlib import Path

import pytest
import yaml

from lightglue_ros.commands.run import load_config
from lightglue_ros.ros.params_yaml import NODE_KEY, node_parameters, parameter_classes, render
from lightglue_ros.vo.config import VOConfig

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
PRESETS = ["tum.yaml", "kitti.yaml"]


def ros_type(value) -> type:
    """The type ROS gives a parameter: YAML sequences are lists, a dataclass default may be a tuple."""
    return list if isinstance(value, (list, tuple)) else type(value)


def ros_parameters(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    # `/**:`, not `vo_node:`, which a node in a namespace (robot1/vo_node) silently ignores.
    assert list(document) == [NODE_KEY], f"{path.name}: expected a single '{NODE_KEY}:' section"
    return document[NODE_KEY]["ros__parameters"]


def test_committed_yaml_is_the_generated_one():
    assert (CONFIG / "vo.yaml").read_text() == render(), \
        "config/vo.yaml is stale: python -m lightglue_ros.ros.params_yaml > config/vo.yaml"


def test_yaml_values_are_the_defaults_with_their_types():
    loaded, defaults = ros_parameters(CONFIG / "vo.yaml"), node_parameters()
    assert list(loaded) == list(defaults)
    for name, value in defaults.items():
        # ROS types parameters from the YAML: 10.0 must stay a double, 10 an integer.
        assert ros_type(loaded[name]) is ros_type(value), name
        assert loaded[name] == (list(value) if isinstance(value, tuple) else value), name


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_override_declared_parameters_with_valid_values(preset):
    overrides, defaults = ros_parameters(CONFIG / preset), node_parameters()
    unknown = set(overrides) - set(defaults)
    assert not unknown, f"{preset}: not parameters of vo_node: {unknown}"
    for name, value in overrides.items():
        # An int where a double is declared is rejected by rclpy at load time.
        expected = ros_type(defaults[name])
        assert ros_type(value) is expected, f"{preset}: {name}={value!r} is not a {expected.__name__}"
        if expected is list:
            assert {type(v) for v in value} <= {type(v) for v in defaults[name]}, f"{preset}: {name} item types"
        default = list(defaults[name]) if expected is list else defaults[name]
        assert value != default, f"{preset}: {name} repeats the default"
    for cls in parameter_classes():
        names = {f.name for f in dataclasses.fields(cls)}
        cls(**{**dataclasses.asdict(cls()), **{k: v for k, v in overrides.items() if k in names}})  # validates


def test_generator_rejects_a_parameter_defined_twice():
    @dataclasses.dataclass
    class Clash:
        resize: int = 3

    with pytest.raises(ValueError, match="'resize' is defined twice"):
        render([VOConfig, Clash])


def test_comments_carry_descriptions_and_ranges():
    text = render([VOConfig])
    assert ("# Keypoints extracted per image (top-k by score). Range [64, 8192]. Needs a restart to change.\n"
            "    max_keypoints: 1024") in text
    assert "One of: superpoint, aliked, disk." in text
    assert "    weights_dir: ''\n" in text


def offline_config(path: Path) -> VOConfig:
    """What `lightglue-vo run --config PATH` tracks with."""
    return load_config(argparse.Namespace(config=path, features=None, max_keypoints=None, device=None))


def test_offline_runner_reads_the_presets():
    assert ros_parameters(CONFIG / "kitti.yaml")["resize"] == 1241
    assert offline_config(CONFIG / "kitti.yaml") == VOConfig(
        resize=1241, max_keypoints=2048, ransac_threshold_px=1.5, keyframe_max_parallax_px=120.0,
        keyframe_min_inliers=100, use_depth=False)  # its NodeConfig parameter (intrinsics) left out
    assert offline_config(CONFIG / "vo.yaml") == VOConfig()


def test_offline_runner_reads_older_and_namespaced_parameter_files(tmp_path):
    """Files keyed by the node's name, as the package's were before `/**:`, still work; sections apply in order."""
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text("vo_node:\n  ros__parameters:\n    resize: 0\n    intrinsics: [1.0, 1.0, 0.5, 0.5]\n")
    assert offline_config(legacy) == VOConfig(resize=0)
    sections = tmp_path / "sections.yaml"
    sections.write_text(yaml.safe_dump({
        "/**": {"ros__parameters": {"resize": 0, "max_keypoints": 256}},
        "/robot1/vo_node": {"ros__parameters": {"max_keypoints": 512}},
        "camera_driver": {"ros__parameters": {"resize": 320}},  # another node's
    }))
    assert offline_config(sections) == VOConfig(resize=0, max_keypoints=512)
    flat = tmp_path / "flat.yaml"
    flat.write_text("resize: 0\n")
    assert offline_config(flat) == VOConfig(resize=0)
