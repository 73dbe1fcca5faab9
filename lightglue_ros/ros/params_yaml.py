# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Write `config/vo.yaml` from the config dataclasses: `python -m lightglue_ros.ros.params_yaml > config/vo.yaml`.

The node declares one parameter per field of `VOConfig` (tracking) and `NodeConfig` (topics, frames, QoS), so the
YAML is generated from them rather than kept by hand; a test checks that the committed file is what this prints.
Each parameter is preceded by its description and range or choices.
"""
from __future__ import annotations

import dataclasses
import sys
import textwrap
from typing import Any, Dict, Iterable, List

import yaml

# The section every parameter file of ours is keyed with: any node, in any namespace, that is given the file. rcl
# matches a plain `vo_node:` only against the node /vo_node, so a namespaced node (robot1/vo_node) ignored it silently.
NODE_KEY = "/**"
HEADER = """\
# Every vo_node parameter with its default. Generated from the config dataclasses (VOConfig, NodeConfig, WheelConfig):
#   python -m lightglue_ros.ros.params_yaml > config/vo.yaml
# Presets (tum.yaml, kitti.yaml) hold only their overrides; pass both files, this one first.
# Keyed /** so that the node takes them under any namespace and node name (vo.launch.py namespace:=robot1)."""


def parameter_classes() -> List[type]:
    from lightglue_ros.ros.node_config import NodeConfig
    from lightglue_ros.vo.config import VOConfig
    from lightglue_ros.vo.wheel_odometry import WheelConfig

    return [VOConfig, NodeConfig, WheelConfig]


def node_parameters(classes: Iterable[type] | None = None) -> Dict[str, Any]:
    """Name -> default of every declared parameter; a name in two dataclasses is an error."""
    params: Dict[str, Any] = {}
    for cls in classes or parameter_classes():
        for name, value in dataclasses.asdict(cls()).items():
            if name in params:
                raise ValueError(f"parameter {name!r} is defined twice")
            params[name] = value
    return params


def _scalar(value: Any) -> str:
    # Flow style keeps lists on one line; a float keeps its '.0' so ROS declares it as a double.
    if isinstance(value, tuple):
        value = list(value)
    return yaml.safe_dump(value, default_flow_style=True, width=1 << 16).strip().removesuffix("...").strip()


def _comment(f: dataclasses.Field, indent: str) -> List[str]:
    text = f.metadata.get("description", "")
    if "choices" in f.metadata:
        text += f" One of: {', '.join(map(str, f.metadata['choices']))}."
    if "range" in f.metadata:
        lo, hi = f.metadata["range"]
        text += f" Range [{lo}, {hi}]."
    if f.metadata.get("restart"):
        text += " Needs a restart to change."
    return [f"{indent}# {line}" for line in textwrap.wrap(text, 110 - len(indent))]


def render(classes: Iterable[type] | None = None) -> str:
    classes = list(classes or parameter_classes())
    node_parameters(classes)  # rejects duplicate names
    indent = " " * 4
    lines = [HEADER, f"{NODE_KEY}:", "  ros__parameters:"]
    for cls in classes:
        defaults = cls()
        lines.append(f"{indent}# --- {cls.__name__} " + "-" * (100 - len(cls.__name__)))
        for f in dataclasses.fields(cls):
            lines += _comment(f, indent)
            lines.append(f"{indent}{f.name}: {_scalar(getattr(defaults, f.name))}")
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
