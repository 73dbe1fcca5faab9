"""The package layout users and colcon expect."""
import ast
import xml.etree.ElementTree as ET

from conftest import ROOT


def test_package_xml_declares_runtime_dependencies():
    root = ET.parse(ROOT / "package.xml").getroot()
    assert root.get("format") == "3"
    deps = {e.text for e in root.iter("exec_depend")}
    for dep in ("rclpy", "sensor_msgs", "nav_msgs", "geometry_msgs", "std_msgs", "std_srvs",
                "diagnostic_msgs", "lifecycle_msgs", "visualization_msgs", "python3-opencv",
                "python3-numpy", "python3-scipy"):
        assert dep in deps, dep
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
                   "lifecycle_msgs", "rosgraph_msgs", "tf2_ros", "cv_bridge", "launch", "launch_ros")
    offenders = []
    for path in sorted((ROOT / "lightglue_ros").rglob("*.py")):
        if "ros" in path.relative_to(ROOT / "lightglue_ros").parts[:-1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in ros_modules]
    assert not offenders, offenders
    assert (ROOT / "lightglue_ros" / "ros" / "vo_node.py").is_file()
