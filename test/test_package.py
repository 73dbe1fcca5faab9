"""The package layout users and colcon expect."""
import ast
import xml.etree.ElementTree as ET

from conftest import ROOT


def test_package_xml_declares_runtime_dependencies():
    root = ET.parse(ROOT / "package.xml").getroot()
    assert root.get("format") == "3"
    deps = {e.text for e in root.iter("exec_depend")}
    for dep in ("rclpy", "sensor_msgs", "nav_msgs", "geometry_msgs", "std_msgs", "std_srvs",
                "diagnostic_msgs", "visualization_msgs", "cv_bridge", "python3-opencv",
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
