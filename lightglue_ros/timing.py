# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Stage timings of a frame: milliseconds per named stage, summed when a stage runs more than once."""
from __future__ import annotations

import time
from contextlib import contextmanager


@contextmanager
def wall_timer(timings: dict, stage: str):
    """Add the block's wall time (ms) to `timings[stage]`."""
    start = time.perf_counter()
    yield
    timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - start) * 1e3
