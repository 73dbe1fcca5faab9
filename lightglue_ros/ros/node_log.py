# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The node's log lines that repeat: throttled per message, or given once."""
from __future__ import annotations

import math
import time


class NodeLog:
    """An rclpy logger with `throttled` (per message kind) and `once` (per key)."""

    def __init__(self, logger):
        self.logger = logger
        self.warned: set = set()     # one-off warnings already given
        self.logged: dict = {}       # throttled message kind -> when it was last logged

    def throttled(self, level: str, message: str, period: float = 1.0) -> None:
        """Log at most one line per `period` seconds for each message (its first line).

        Per message, so that a camera sending one kind of bad frame at 30 Hz does not hide a different kind.
        """
        kind = message.split("\n")[0][:160]
        now = time.monotonic()
        if now - self.logged.get(kind, -math.inf) >= period:
            self.logged[kind] = now
            getattr(self.logger, level)(message)

    def once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.logger.warning(message)
