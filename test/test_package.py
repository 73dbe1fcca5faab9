# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The package layout users and colcon expect, and dependencies declared from what the code really imports."""
import ast
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import ROOT

# Imports that are not ROS packages: (rosdep key in package.xml, requirement in setup.py); the keys as rosdistro's
# rosdep/python.yaml has them, None where it has none (package.xml then says to pip install it). Any other import is
# taken for a ROS package, whose rosdep key is its name and whose PyPI wheel is ros-<name> (setup.py's "ros" extra).
PYTHON_PACKAGES = {
    "cv2": ("python3-opencv", "opencv-python-headless"),
    "evo": (None, "evo"),  # no rosdep key: pip only
    "gtsam": (None, "gtsam"),  # no rosdep key for its Python bindings: pip only
    "kornia": (None, "kornia"),  # no rosdep key: pip only
    "matplotlib": ("python3-matplotlib", "matplotlib"),
    "numpy": ("python3-numpy", "numpy"),
    "onnxruntime": ("python3-onnxruntime-pip", "onnxruntime"),
    "packaging": ("python3-packaging", "packaging"),
    "pytest": ("python3-pytest", "pytest"),
    "rosbags": (None, "rosbags"),  # no rosdep key: pip only
    "scipy": ("python3-scipy", "scipy"),
    "torch": ("python3-pytorch-pip", "torch"),
    "tqdm": ("python3-tqdm", "tqdm"),
    "transformers": ("python3-transformers-pip", "transformers"),
    "yaml": ("python3-yaml", "pyyaml"),
}
# ROS packages without a PyPI wheel, so with no requirement in setup.py: how the tests get them.
NO_WHEEL = {"tf2_msgs": "test/build_tf2_msgs.py builds it where no ROS install has it"}
# ROS packages whose Python module is named otherwise: module -> package.
ROS_MODULES = {"tf2_ros": "tf2_ros_py"}  # the package tf2_ros is the C++ library
# What ament_flake8 and ament_pep257 run; their PyPI wheels leave it out (setup.py's LINTERS).
LINT_TOOLS = ("ros-ament-lint", "flake8", "flake8-blind-except", "flake8-builtins", "flake8-class-newline",
              "flake8-comprehensions", "flake8-deprecated", "flake8-docstrings", "flake8-import-order",
              "flake8-quotes", "pydocstyle")
# Declared although no file imports them.
NOT_IMPORTED = {
    "onnx": "torch.onnx.export writes the graphs through it",
    "onnxruntime-gpu": "the CUDA build of the onnxruntime module (the gpu extra)",
    "ros-rmw-fastrtps-cpp": "the middleware under the PyPI rclpy",
    **dict.fromkeys(LINT_TOOLS, "run by ament_flake8 / ament_pep257"),
}
PACKAGE = sorted((ROOT / "lightglue_ros").rglob("*.py"))
LAUNCH = sorted((ROOT / "launch").glob("*.py"))
TESTS = sorted((ROOT / "test").glob("*.py"))
OURS = {"lightglue_ros", *(path.stem for path in TESTS)}


def imports(path: Path):
    """(module, optional) of each absolute import in a file; optional: inside a `try` that catches ImportError."""
    tree = ast.parse(path.read_text())
    guarded = {id(node) for block in ast.walk(tree) if isinstance(block, ast.Try) and catches_import_error(block)
               for statement in block.body for node in ast.walk(statement)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, id(node) in guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module, id(node) in guarded


def catches_import_error(block: ast.Try) -> bool:
    caught = {node.id for handler in block.handlers if handler.type for node in ast.walk(handler.type)
              if isinstance(node, ast.Name)}
    return bool(caught & {"ImportError", "ModuleNotFoundError"})


def third_party(files, required_only=False) -> dict[str, Path]:
    """Top-level modules the files import, other than the standard library and ours: module -> first importer."""
    found = {}
    for path in files:
        for module, optional in imports(path):
            name = module.split(".")[0]
            if name not in sys.stdlib_module_names and name not in OURS and not (required_only and optional):
                found.setdefault(name, path.relative_to(ROOT))
    return found


def declared_as(module: str) -> tuple[str | None, str | None]:
    """(package.xml rosdep key, setup.py requirement) of an imported module."""
    if module in NO_WHEEL:
        return module, None
    if module in PYTHON_PACKAGES:
        return PYTHON_PACKAGES[module]
    package = ROS_MODULES.get(module, module)
    return package, "ros-" + package.replace("_", "-")


def package_xml() -> dict[str, set[str]]:
    """package.xml's dependencies by tag (exec_depend, test_depend, ...)."""
    dependencies = {}
    for element in ET.parse(ROOT / "package.xml").getroot():
        if element.tag.endswith("depend"):
            dependencies.setdefault(element.tag, set()).add(element.text)
    return dependencies


def setup_py(with_versions: bool = False) -> dict:
    """setup.py's requirement names (or whole requirement strings): install_requires under "", then each extra."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    constants = {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                 for target in node.targets}
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    arguments = {keyword.arg: keyword.value for keyword in call.keywords}

    extras = arguments["extras_require"]
    requirements = {"": specs(arguments["install_requires"], constants)}
    for key, value in zip(extras.keys, extras.values):
        requirements[ast.literal_eval(key)] = specs(value, constants)
    if not with_versions:
        return {extra: {re.match(r"[\w.-]+", spec).group().lower() for spec in found}
                for extra, found in requirements.items()}
    return requirements


def specs(node, constants: dict) -> list:
    """The requirement strings of a setup.py expression: a list (of strings or named strings), a name, a sum."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # a list plus a named list
        return specs(node.left, constants) + specs(node.right, constants)
    node = constants.get(getattr(node, "id", None), node)
    if isinstance(node, ast.List):
        return [spec for element in node.elts for spec in specs(element, constants)]
    return [ast.literal_eval(node)]


def test_package_xml_and_setup_py_declare_what_the_code_imports():
    """Every import the code cannot do without is declared for colcon/rosdep (package.xml) and for pip (setup.py).

    The launch files only for colcon, as launch has no PyPI wheels. Imports guarded by `except ImportError` are optional
    (tf2_ros, the official code's torchvision).
    """
    xml, setup = package_xml(), setup_py()
    runtime_keys, all_keys = xml["exec_depend"], xml["exec_depend"] | xml.get("test_depend", set())
    # The "cpu" extra is the plain install (README, Makefile); "gpu" swaps in onnxruntime-gpu (test_install_extras).
    runtime_requirements, all_requirements = setup[""] | setup["ros"] | setup["cpu"], set().union(*setup.values())
    missing = {}  # what is lacking -> the first file that imports it
    for files, keys, requirements in ((PACKAGE, runtime_keys, runtime_requirements), (LAUNCH, runtime_keys, None),
                                      (TESTS, all_keys, all_requirements)):
        for module, importer in third_party(files, required_only=True).items():
            key, requirement = declared_as(module)
            if key is not None and key not in keys:
                missing.setdefault(f"package.xml lacks {key} ({module})", importer)
            if requirements is not None and requirement is not None and requirement not in requirements:
                missing.setdefault(f"setup.py lacks {requirement} ({module})", importer)
    lines = [f"{lack}, imported by {importer}" for lack, importer in missing.items()]
    assert not missing, "\n".join(lines + ["(not a ROS package? map it in PYTHON_PACKAGES)"])


def test_package_xml_and_setup_py_declare_nothing_unused():
    used = [declared_as(module) for module in third_party(PACKAGE + LAUNCH + TESTS)]
    keys, requirements = {key for key, _ in used} | set(NOT_IMPORTED), {r for _, r in used} | set(NOT_IMPORTED)
    unused = [f"package.xml: {key}" for key in sorted(set().union(*package_xml().values()) - keys)]
    unused += [f"setup.py: {requirement}" for requirement in sorted(set().union(*setup_py().values()) - requirements)]
    assert not unused, unused


def test_package_xml_is_an_ament_python_package():
    root = ET.parse(ROOT / "package.xml").getroot()
    assert root.get("format") == "3"
    assert root.find("export/build_type").text == "ament_python"


def test_console_scripts_point_at_existing_functions():
    import importlib

    tree = ast.parse((ROOT / "setup.py").read_text())
    scripts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
               and isinstance(n.value, str) and " = lightglue_ros." in n.value]
    assert scripts, "no console scripts in setup.py"
    for spec in scripts:
        name, target = (s.strip() for s in spec.split("="))
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func)), spec


def test_only_the_ros_layer_imports_rclpy():
    """Three layers, data flowing one way: messages -> ros/ -> vo/ -> models/. Below ros/ nothing imports ROS."""
    ros_modules = ("rclpy", "sensor_msgs", "nav_msgs", "geometry_msgs", "std_msgs", "std_srvs", "diagnostic_msgs",
                   "lifecycle_msgs", "rosgraph_msgs", "tf2_ros", "tf2_msgs", "cv_bridge", "launch", "launch_ros")
    offenders = [f"{path.relative_to(ROOT)}: {module}" for path in PACKAGE
                 if "ros" not in path.relative_to(ROOT / "lightglue_ros").parts[:-1]
                 for module, _ in imports(path) if module.split(".")[0] in ros_modules]
    assert not offenders, offenders
    assert (ROOT / "lightglue_ros" / "ros" / "vo_node.py").is_file()


# What a Jetson (JetPack 5 / 6) or a CUDA desktop has installed, that pip must keep.
NVIDIA_TORCH = ("2.1.0a0+41361538.nv23.06", "2.3.0a0+40ec155e58.nv24.03", "2.5.0a0+872d972e41.nv24.08")


def test_install_keeps_a_gpu_environment():
    """No requirement replaces JetPack's torch, an installed onnxruntime-gpu or a system OpenCV (issue 19).

    JetPack's torch is a prerelease with a local version: the torch requirement must accept it, as pip then keeps it.
    onnxruntime (CPU) and opencv-python-headless are only in the "cpu" extra: pip would install them over
    onnxruntime-gpu (another distribution of the same module) and in front of a system OpenCV (none pip knows of).
    """
    from packaging.requirements import Requirement

    setup = {extra: [Requirement(spec) for spec in found] for extra, found in setup_py(with_versions=True).items()}
    torch = next(r for r in setup[""] if r.name == "torch")
    for version in NVIDIA_TORCH + ("2.13.0", "2.1.0"):
        assert torch.specifier.contains(version), f"{torch} rejects torch {version}"
    assert not torch.specifier.contains("2.0.1"), f"{torch} accepts torch 2.0 (its onnx export lacks what we use)"
    plain = {r.name for r in setup[""]}
    assert not plain & {"onnxruntime", "onnxruntime-gpu", "opencv-python", "opencv-python-headless"}, plain
    assert {r.name for r in setup["cpu"]} == {"onnxruntime", "opencv-python-headless"}
    assert {r.name for r in setup["gpu"]} == {"onnxruntime-gpu", "opencv-python-headless"}
    # The documented installs use them: the Makefile the cpu extra, the README names both and the Jetson way.
    assert '".[cpu,ros,test]"' in (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "pip install -e .[cpu,ros]" in readme and ".[gpu,ros]" in readme and "Jetson" in readme


def test_import_makes_openmp_workers_passive_unless_set():
    """lightglue_ros sets OMP_WAIT_POLICY before torch loads; a value the user set is kept."""
    probe = "import lightglue_ros, os, torch; print(os.environ.get('OMP_WAIT_POLICY'))"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    unset = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True)
    assert unset.stdout.strip() == "PASSIVE", unset.stderr
    user = subprocess.run([sys.executable, "-c", probe], env={**env, "OMP_WAIT_POLICY": "ACTIVE"}, cwd=ROOT,
                          capture_output=True, text=True)
    assert user.stdout.strip() == "ACTIVE", user.stderr
