# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The linters of an ament_python package (flake8, pep257, copyright), configured in setup.cfg."""
import configparser
import re
import xml.etree.ElementTree as ET

import pytest
from ament_flake8.main import main_with_errors as flake8_main
from ament_pep257.main import main as pep257_main

from conftest import ROOT

LINTED = [ROOT / name for name in ("lightglue_ros", "test", "bench", "launch", "setup.py")]


def python_files():
    return sorted(path for top in LINTED for path in ([top] if top.is_file() else top.rglob("*.py")))


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8():
    rc, errors = flake8_main(argv=["--config", str(ROOT / "setup.cfg"), *map(str, LINTED)])
    assert rc == 0, f"{len(errors)} flake8 errors:\n" + "\n".join(errors)


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257():
    """ament_pep257 with the checks of setup.cfg's [pydocstyle] section (the errors are on stderr)."""
    setup_cfg = configparser.ConfigParser()
    setup_cfg.read(ROOT / "setup.cfg")
    ignore = setup_cfg["pydocstyle"]["ignore"].split(",")
    assert pep257_main(argv=[*map(str, LINTED), "--ignore", *ignore]) == 0, "docstring errors"


@pytest.mark.linter
def test_copyright():
    """Each Python file opens (after a shebang) with the copyright line and the SPDX id of package.xml's licence."""
    licence = ET.parse(ROOT / "package.xml").getroot().findtext("license")
    header = re.compile(r"(#!.*\n)?# Copyright \d{4}(-\d{4})? The lightglue_ros authors\n"
                        rf"# SPDX-License-Identifier: {re.escape(licence)}\n")
    missing = [str(path.relative_to(ROOT)) for path in python_files() if not header.match(path.read_text())]
    assert not missing, (f"no header '# Copyright <year> The lightglue_ros authors' + "
                         f"'# SPDX-License-Identifier: {licence}':\n" + "\n".join(missing))
