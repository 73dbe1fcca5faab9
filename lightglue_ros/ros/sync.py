# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Pairing messages by stamp across subscriptions, and accounting for images lost in transport.

`StampedBuffer` and `LossCounter` are thread-safe (the executor thread puts in, the worker may read). The
`PairingQueue` runs on the executor thread only: images wait there, not on the worker, so a slow partner never stalls
tracking. Stamps are integer nanoseconds (exact comparison, as image_transport's camera subscriber pairs them).
"""
from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set


def stamp_ns(stamp) -> int:
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def stamp_seconds(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


class StampedBuffer:
    """The last `size` messages by stamp (the waiting is the PairingQueue's, on the executor thread)."""

    def __init__(self, size: int = 30):
        self._size = size
        self._items: "OrderedDict[int, Any]" = OrderedDict()
        self._lock = threading.Lock()

    def put(self, stamp: int, item: Any) -> None:
        with self._lock:
            self._items[stamp] = item
            self._items.move_to_end(stamp)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def newest(self) -> Optional[Any]:
        with self._lock:
            return next(reversed(self._items.values()), None)

    def closest(self, stamp: int, tolerance_ns: int = 0) -> Optional[Any]:
        """The message closest to `stamp` within `tolerance_ns`, None if there is none."""
        with self._lock:
            near = [(abs(s - stamp), s) for s in self._items if abs(s - stamp) <= tolerance_ns]
            return self._items[min(near)[1]] if near else None


MAX_SPACING_NS = 1_000_000_000  # a longer gap between a stream's stamps is no rate (a pause, a time jump)


class Partner:
    """A stream images wait for (CameraInfo, depth): its message of an image's stamp, or the news that none comes.

    None comes for stamp S once a message newer than S (by more than `tolerance_ns`) arrives, since each publisher's
    messages arrive in order; or, with `predict`, from the stream's learned period, when no message is due near S
    (depth at half the colour rate: every other image has none, and need not wait for it). Not for CameraInfo: a
    camera with a variable frame rate would be paired with the wrong one.
    """

    def __init__(self, tolerance_ns: int = 0, predict: bool = False, size: int = 30):
        self.tolerance_ns, self.predict = tolerance_ns, predict
        self.buffer = StampedBuffer(size)
        self.newest_stamp: Optional[int] = None        # the last message's
        self.last_arrival = -float("inf")              # monotonic
        self._spacings: deque = deque(maxlen=4)        # between the last messages' stamps, while regular

    def put(self, stamp: int, msg: Any, now: float) -> None:
        spacing = stamp - self.newest_stamp if self.newest_stamp is not None else 0
        if 0 < spacing < MAX_SPACING_NS:
            self._spacings.append(spacing)
        else:  # the first, a gap, stamps going back: the stream's rate is to be learned again
            self._spacings.clear()
        self.newest_stamp, self.last_arrival = stamp, now
        self.buffer.put(stamp, msg)

    def find(self, stamp: int) -> Optional[Any]:
        return self.buffer.closest(stamp, self.tolerance_ns)

    def newer_than(self, stamp: int, other: int) -> bool:
        """Whether a message stamped `other` says that none will come for `stamp`."""
        return other > stamp + self.tolerance_ns

    def none_due(self, stamp: int) -> bool:
        """By the stream's period, no message is due within tolerance of `stamp`.

        Only for a regular stream: 3 spacings or more, all within 25 % of each other.
        """
        spacings = self._spacings
        if not self.predict or len(spacings) < 3 or self.newest_stamp >= stamp or max(spacings) > 1.25 * min(spacings):
            return False
        period = sorted(spacings)[len(spacings) // 2]
        due = self.newest_stamp + max(1, round((stamp - self.newest_stamp) / period)) * period
        return abs(due - stamp) > max(self.tolerance_ns, period // 4)  # a quarter period of stamp jitter


@dataclass
class Waiting:
    """An image in the pairing queue: `found` holds each partner's message (None: none comes), `pending` the rest."""

    stamp: int
    item: Any
    arrived: float                                     # monotonic
    deadlines: Dict[str, float]                        # partner -> until when it is waited for
    pending: Set[str] = field(default_factory=set)
    found: Dict[str, Any] = field(default_factory=dict)


class PairingQueue:
    """Images waiting for the messages of their stamp from other subscriptions (image_transport's exact-time sync).

    Released in arrival order once every partner has its message or none will come. A waiting image never holds up
    the worker (it waits here, on the executor thread). Bounded in time (a deadline per image and partner) and size:
    when `capacity` images wait, a new one replaces the newest waiting (dropped), as the frame mailbox does.
    `on_drop(n)` is told of the images that leave without being released.
    """

    def __init__(self, partners: Dict[str, Partner], capacity: int = 64, on_drop=lambda count: None):
        self.partners = partners
        self.capacity = capacity
        self.on_drop = on_drop
        self.waiting: deque = deque()

    def arrive(self, stamp: int, item: Any, now: float, waits_for: Dict[str, float]) -> List[Waiting]:
        """An image, waiting at most `waits_for[name]` seconds for each partner's message; the images released."""
        entry = Waiting(stamp, item, now, {name: now + wait_s for name, wait_s in waits_for.items()})
        for name, wait_s in waits_for.items():
            partner = self.partners[name]
            msg = partner.find(stamp)
            if msg is not None or wait_s <= 0 or partner.none_due(stamp):
                entry.found[name] = msg
            else:
                entry.pending.add(name)
        if len(self.waiting) >= self.capacity:
            self.waiting.pop()
            self.on_drop(1)
        self.waiting.append(entry)
        return self._ready()

    def partner_arrived(self, name: str, stamp: int, msg: Any, now: float) -> List[Waiting]:
        partner = self.partners[name]
        partner.put(stamp, msg, now)
        for entry in self.waiting:
            if name not in entry.pending:
                continue
            if abs(entry.stamp - stamp) <= partner.tolerance_ns:
                entry.found[name] = msg
                entry.pending.discard(name)
            elif partner.newer_than(entry.stamp, stamp):
                entry.found[name] = None
                entry.pending.discard(name)
        return self._ready()

    def due(self, now: float) -> List[Waiting]:
        """Images past their deadline: released with what they have."""
        for entry in self.waiting:
            for name in [name for name in entry.pending if now >= entry.deadlines[name]]:
                entry.found[name] = None
                entry.pending.discard(name)
        return self._ready()

    def give_up(self, name: str) -> List[Waiting]:
        """Stop waiting for a partner (the camera never stamps it alike)."""
        for entry in self.waiting:
            if name in entry.pending:
                entry.pending.discard(name)
                entry.found[name] = None
        return self._ready()

    def clear(self) -> int:
        """Drop every waiting image (deactivate); how many."""
        count = len(self.waiting)
        self.waiting.clear()
        self.on_drop(count)
        return count

    def _ready(self) -> List[Waiting]:
        released = []
        while self.waiting and not self.waiting[0].pending:
            released.append(self.waiting.popleft())
        return released


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
