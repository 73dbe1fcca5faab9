# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Pairing messages by stamp across subscriptions, and accounting for images lost in transport.

The executor thread puts messages in; the node's worker thread takes them out, so everything here is thread-safe.
Stamps are integer nanoseconds (exact comparison, as image_transport's camera subscriber pairs them).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Optional


def stamp_ns(stamp) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


class StampedBuffer:
    """The last `size` messages by stamp; a reader can wait a bounded time for one with a given stamp."""

    def __init__(self, size: int = 30):
        self._size = size
        self._items: "OrderedDict[int, Any]" = OrderedDict()
        self._changed = threading.Condition()

    def put(self, stamp: int, item: Any) -> None:
        with self._changed:
            self._items[stamp] = item
            self._items.move_to_end(stamp)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            self._changed.notify_all()

    def newest(self) -> Optional[Any]:
        with self._changed:
            return next(reversed(self._items.values()), None)

    def wait_for(self, stamp: int, tolerance_ns: int = 0, timeout: float = 0.0) -> Optional[Any]:
        """The message closest to `stamp` within `tolerance_ns`, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                near = [(abs(s - stamp), s) for s in self._items if abs(s - stamp) <= tolerance_ns]
                if near:
                    return self._items[min(near)[1]]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)


class LossCounter:
    """Images the camera sent that never arrived, told by their CameraInfo.

    Lost: a CameraInfo with stamp S arrived but the image with stamp S did not, although a newer image did (DDS
    delivers each writer's samples in order). An image arriving after all un-counts it. Only cameras that stamp
    images and CameraInfo alike can be accounted for (`paired` says whether one pair was ever seen). No timeout: a
    large image can take seconds to arrive.
    """

    def __init__(self, remember: int = 1000):
        self._remember = remember
        self._lock = threading.Lock()
        self._expected: "OrderedDict[int, None]" = OrderedDict()   # CameraInfo stamps waiting for their image
        self._counted: "OrderedDict[int, None]" = OrderedDict()    # stamps counted as lost
        self._arrived: "OrderedDict[int, None]" = OrderedDict()    # image stamps (before their CameraInfo, maybe)
        self.paired = False
        self.lost = 0

    def expect(self, stamp: int) -> None:
        """A CameraInfo arrived: its image should follow."""
        with self._lock:
            if stamp in self._arrived:  # the image's callback ran first
                self.paired = True
            elif stamp not in self._counted:
                self._expected[stamp] = None
                self._trim(self._expected)

    def arrived(self, stamp: int) -> None:
        """An image arrived: it was not lost, and neither are older images still to come."""
        with self._lock:
            self._arrived[stamp] = None
            self._trim(self._arrived)
            if self._expected.pop(stamp, None) is not None:
                self.paired = True
            elif self._counted.pop(stamp, "absent") is None:  # late after all
                self.paired, self.lost = True, self.lost - 1
            if self.paired:
                for older in [s for s in self._expected if s < stamp]:
                    self._count(older)

    def _count(self, stamp: int) -> None:
        del self._expected[stamp]
        self._counted[stamp] = None
        self._trim(self._counted)
        self.lost += 1

    def _trim(self, items: OrderedDict) -> None:
        while len(items) > self._remember:
            items.popitem(last=False)
