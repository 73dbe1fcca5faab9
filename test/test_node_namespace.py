# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node in a namespace takes the package's parameter files, started as a user starts it.

`vo_node --ros-args -r __ns:=/robot1 --params-file config/vo.yaml --params-file config/kitti.yaml`, what
`vo.launch.py namespace:=robot1 preset_file:=.../kitti.yaml` runs: the preset's values are in effect, as an
independent client reads them over DDS from the node's parameter service. Files keyed `vo_node:` instead of `/**:`
were silently ignored there (rcl matches `vo_node:` only to /vo_node).
"""
import subprocess
import sys

import pytest
import yaml
from rcl_interfaces.srv import GetParameters
from rclpy.parameter import parameter_value_to_python

from lightglue_ros.ros.params_yaml import NODE_KEY, node_parameters
from ros_helpers import Peer, ROOT, call, domain_id, ros_env, stop_node

DOMAIN_ID = domain_id(67)
NAMESPACE = "/robot1"


def start_namespaced_node(tmp_path, *params_files):
    args = ["-r", f"__ns:={NAMESPACE}"]
    for path in params_files:
        args += ["--params-file", str(path)]
    log = open(tmp_path / "vo_node.log", "w")
    return subprocess.Popen([sys.executable, "-m", "lightglue_ros.ros.vo_node", "--ros-args", *args],
                            env=ros_env(DOMAIN_ID), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def parameters_of(peer, node: str, names: list) -> dict:
    """The node's current values of these parameters, through its get_parameters service."""
    response = call(peer, GetParameters, f"{node}/get_parameters", GetParameters.Request(names=names))
    values = [parameter_value_to_python(v) for v in response.values]
    return {n: list(v) if not isinstance(v, (bool, int, float, str)) else v for n, v in zip(names, values)}


@pytest.mark.parametrize("preset", ["kitti.yaml", "tum.yaml"])
def test_preset_is_in_effect_in_a_namespace(tmp_path, preset):
    overrides = yaml.safe_load((ROOT / "config" / preset).read_text())[NODE_KEY]["ros__parameters"]
    defaults = node_parameters()
    untouched = [n for n in ("features", "min_inliers", "odom_frame", "path_max_length") if n not in overrides]
    peer = Peer(DOMAIN_ID)
    node = start_namespaced_node(tmp_path, ROOT / "config" / "vo.yaml", ROOT / "config" / preset)
    try:
        values = parameters_of(peer, f"{NAMESPACE}/vo_node", [*overrides, *untouched])
    finally:
        stop_node(node, tmp_path)
        peer.close()
    for name, value in overrides.items():
        # The presets differ from the defaults (test_params_yaml), so a preset the node ignored fails here.
        assert values[name] == value, f"{preset}: {name} is {values[name]!r} in {NAMESPACE}/vo_node, not {value!r}"
    assert {n: values[n] for n in untouched} == {n: defaults[n] for n in untouched}
