# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The launch files, checked without `launch` (not installable here).

Parsed with `ast` and cross-checked against the executables in setup.py, the node's declared parameters (VOConfig +
NodeConfig), the synthetic camera's parameters, the bag player's options and the files they reference.
"""
import ast
import shlex
from pathlib import Path

import pytest

from lightglue_ros.ros.bag_player import build_parser as bag_player_parser
from lightglue_ros.ros.params_yaml import node_parameters
from lightglue_ros.ros.synthetic_camera_node import SyntheticCameraConfig

ROOT = Path(__file__).resolve().parents[1]
LAUNCH = ROOT / "launch"
LAUNCH_FILES = ["vo.launch.py", "bag_replay.launch.py", "demo.launch.py"]
# Parameters every rclpy node declares itself.
BUILTIN_PARAMETERS = {"use_sim_time"}
# Topics vo_node subscribes to (relative names, so remappable).
VO_NODE_INPUTS = {"image", "image/compressed", "camera_info", "depth", "wheel_odom"}


def call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return None


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if call_name(n) == name]


def keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


CONSTANTS: dict[str, object] = {}  # module-level NAME = "literal" of the launch files, e.g. PACKAGE


def const(node: ast.AST | None):
    if isinstance(node, ast.Name):
        return CONSTANTS.get(node.id)
    return node.value if isinstance(node, ast.Constant) else None


def strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


class LaunchFile:
    """A launch file parsed with `ast`."""

    def __init__(self, name: str):
        self.name = name
        self.tree = ast.parse((LAUNCH / name).read_text(), filename=name)
        for statement in self.tree.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                CONSTANTS.update({t.id: statement.value.value for t in statement.targets})
        declared = calls(self.tree, "DeclareLaunchArgument")
        self.arguments = {const(c.args[0]): c for c in declared}
        self.used = {const(c.args[0]) for c in calls(self.tree, "LaunchConfiguration")}
        self.nodes = calls(self.tree, "Node")
        self.includes = calls(self.tree, "IncludeLaunchDescription")

    def required_arguments(self) -> set[str]:
        return {name for name, c in self.arguments.items() if keyword(c, "default_value") is None}


def console_scripts() -> dict[str, str]:
    """Map each executable to its 'module:function', from setup.py's entry_points."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    entry_points = next(keyword(c, "entry_points") for c in calls(tree, "setup"))
    scripts = ast.literal_eval(entry_points)["console_scripts"]
    return dict(tuple(part.strip() for part in s.split("=")) for s in scripts)


def node_parameter_keys(node: ast.Call) -> set[str]:
    params = keyword(node, "parameters")
    if params is None:
        return set()
    return {const(k) for d in ast.walk(params) if isinstance(d, ast.Dict) for k in d.keys}


@pytest.fixture(scope="module", params=LAUNCH_FILES)
def launch_file(request) -> LaunchFile:
    return LaunchFile(request.param)


def test_parses_and_defines_generate_launch_description(launch_file):
    functions = [n.name for n in launch_file.tree.body if isinstance(n, ast.FunctionDef)]
    assert "generate_launch_description" in functions
    assert all(isinstance(name, str) for name in launch_file.arguments), "argument names must be literals"
    for name, call in launch_file.arguments.items():
        assert const(keyword(call, "description")), f"{launch_file.name}: argument {name} has no description"


def test_every_launch_configuration_is_declared(launch_file):
    undeclared = launch_file.used - set(launch_file.arguments)
    assert not undeclared, f"{launch_file.name} uses undeclared launch arguments {undeclared}"
    unused = set(launch_file.arguments) - launch_file.used
    assert not unused, f"{launch_file.name} declares unused launch arguments {unused}"


def test_nodes_run_installed_executables_with_declared_parameters(launch_file):
    scripts = console_scripts()
    declared = {
        "vo_node": set(node_parameters()) | BUILTIN_PARAMETERS,
        "synthetic_camera": set(SyntheticCameraConfig.__dataclass_fields__) | BUILTIN_PARAMETERS,
    }
    for node in launch_file.nodes:
        package, executable = const(keyword(node, "package")), const(keyword(node, "executable"))
        if package != "lightglue_ros":
            assert (package, executable) == ("rviz2", "rviz2")
            continue
        assert executable in scripts, f"{launch_file.name}: {executable} is not a console script in setup.py"
        keys = node_parameter_keys(node)
        if executable in declared:
            unknown = keys - declared[executable]
            assert not unknown, f"{launch_file.name}: {executable} has no parameter(s) {unknown}"
        else:
            assert not keys, f"{launch_file.name}: {executable} takes no ROS parameters"
        remappings = keyword(node, "remappings")
        if remappings is not None:
            sources = {const(t.elts[0]) for t in remappings.elts}
            assert executable == "vo_node" and sources <= VO_NODE_INPUTS, sources


def test_bag_player_arguments_are_its_options(launch_file):
    options = {a for action in bag_player_parser()._actions for a in action.option_strings}
    for node in launch_file.nodes:
        if const(keyword(node, "executable")) == "bag_player":
            args = keyword(node, "arguments")
            flags = [s for s in strings(args) if s.startswith("--")]
            assert flags and set(flags) <= options, flags
            # The player's own parser accepts the line with substitutions filled in.
            bag_player_parser().parse_args(shlex.split("BAG --clock --rate 1.0 --wait-for-subscribers --loop"))
            # The extra flags of the conditional variants come as *extra.
            extra = [s for c in calls(launch_file.tree, "bag_player") for s in strings(c) if s.startswith("--")]
            assert set(extra) <= options


def test_includes_pass_only_declared_arguments(launch_file):
    for include in launch_file.includes:
        target = next(s for s in strings(include) if s.endswith(".launch.py"))
        included = LaunchFile(target)
        passed = keyword(include, "launch_arguments")
        keys = {const(k) for d in ast.walk(passed) if isinstance(d, ast.Dict) for k in d.keys}
        assert keys <= set(included.arguments), f"{target} does not declare {keys - set(included.arguments)}"
        missing = included.required_arguments() - keys - set(launch_file.arguments)
        assert not missing, f"{launch_file.name} leaves {target}'s required {missing} unset"


def test_referenced_files_exist(launch_file):
    for text in strings(launch_file.tree):
        for folder, suffix in (("config", ".yaml"), ("config", ".xml"), ("rviz", ".rviz"), ("launch", ".launch.py")):
            if text.endswith(suffix) and "/" not in text:
                assert (ROOT / folder / text).is_file(), f"{launch_file.name} refers to missing {folder}/{text}"


def test_bag_replay_runs_the_node_under_sim_time():
    replay = LaunchFile("bag_replay.launch.py")
    players = [n for n in replay.nodes if const(keyword(n, "executable")) == "bag_player"]
    assert players and all("--clock" in strings(keyword(p, "arguments")) for p in players)
    include = replay.includes[0]
    passed = keyword(include, "launch_arguments")
    mapping = next(d for d in ast.walk(passed) if isinstance(d, ast.Dict))
    values = {const(k): const(v) for k, v in zip(mapping.keys, mapping.values)}
    assert values["use_sim_time"] == "true"
    # ... and vo.launch.py hands use_sim_time to the node.
    vo = LaunchFile("vo.launch.py")
    vo_node = next(n for n in vo.nodes if const(keyword(n, "executable")) == "vo_node")
    assert "use_sim_time" in node_parameter_keys(vo_node)


def test_checker_catches_a_wrong_parameter(tmp_path, monkeypatch):
    """The cross-check is not vacuous: a misspelt parameter in a launch file is found."""
    bad = (LAUNCH / "vo.launch.py").read_text().replace('{"use_sim_time"', '{"use_sim_tme"')
    assert "use_sim_tme" in bad
    monkeypatch.setattr(__import__(__name__), "LAUNCH", tmp_path)
    (tmp_path / "vo.launch.py").write_text(bad)
    with pytest.raises(AssertionError, match="use_sim_tme"):
        test_nodes_run_installed_executables_with_declared_parameters(LaunchFile("vo.launch.py"))


def test_processes_get_the_large_image_profile(launch_file):
    """Every launch file gives the processes it starts the Fast DDS profile for large images.

    Before its nodes, unless the fastdds_profile argument is ''.
    """
    setters = [c for c in calls(launch_file.tree, "SetEnvironmentVariable")
               if const(c.args[0]) == "FASTDDS_DEFAULT_PROFILES_FILE"]
    assert len(setters) == 1, launch_file.name
    assert "fastdds_large_images.xml" in strings(launch_file.arguments["fastdds_profile"])
    assert keyword(setters[0], "condition") is not None
    returned = next(n for n in ast.walk(launch_file.tree) if call_name(n) == "LaunchDescription")
    order = [e.id for e in returned.args[0].elts if isinstance(e, ast.Name)]
    assert order[0] == "fastdds", order  # set before any process starts
