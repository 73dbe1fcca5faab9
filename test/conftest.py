"""Shared fixtures: paths to the real data in ../shared/data and to the offline checkpoint mirror."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert DATA.is_dir(), f"real evaluation data expected at {DATA} (see DEVELOPERS.md)"
    return DATA
