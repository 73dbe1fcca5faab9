# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""`lightglue-vo`: one entry point, one module per subcommand in `lightglue_ros.commands`.

Each command module defines `HELP`, `add_arguments(parser)` and `run(args) -> int`. Modules are imported
only when their command runs, so `lightglue-vo synth` does not pay for loading torch models. Commands that
need ROS (the demo) live in `lightglue_ros.ros`, the only layer that imports rclpy.
"""
import argparse
import importlib
import sys

COMMANDS = {
    "match": "match two images and print / save the matches",
    "bench": "benchmark ours against the official implementation",
    "fetch-weights": "download or copy model weights into the cache (for air-gapped robots)",
    "export-onnx": "write the onnxruntime backend's ONNX graphs into the weight cache",
    "run": "run visual odometry offline on images, a video or a bag",
    "synth": "render a synthetic sequence with exact ground truth",
    "demo": "synthetic camera -> vo_node over DDS, scored against ground truth",
}


ROS_COMMANDS = {"demo"}


def _module(name: str):
    package = "lightglue_ros.ros" if name in ROS_COMMANDS else "lightglue_ros.commands"
    return importlib.import_module(f"{package}.{name.replace('-', '_')}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="lightglue-vo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    # Parse the command name first, then let that command's module define the rest.
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        parser.parse_args(argv)
        return 2
    name, rest = argv[0], argv[1:]
    module = _module(name)
    cmd_parser = argparse.ArgumentParser(prog=f"lightglue-vo {name}", description=COMMANDS[name])
    module.add_arguments(cmd_parser)
    return int(module.run(cmd_parser.parse_args(rest)) or 0)


if __name__ == "__main__":
    sys.exit(main())
