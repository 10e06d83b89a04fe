"""Simulated time: a clock that moves only when told to, and the callbacks due on it."""

from __future__ import annotations

from datetime import UTC, datetime
import heapq
import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class SimClock:
    """Simulated epoch seconds with a timer heap; `advance` runs what falls due, in order."""

    def __init__(self, start: float, factor: float = 0.0) -> None:
        """Start the clock at `start` (epoch seconds); `factor` > 0 when it runs with real time."""
        self._start = start
        self._factor = factor
        self._now = start
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        # Ties on the due time run in the order they were scheduled.
        self._order = itertools.count()

    @property
    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._now

    def real(self, moment: float) -> float:
        """The real time at which a simulated moment happens, for timestamps sent out.

        A fast clock must not date events in the future: what a cloud reports are real times.
        A manual clock has no real time of its own; its moments are reported as they are.
        """
        if self._factor <= 0:
            return moment
        return self._start + (moment - self._start) / self._factor

    @property
    def pending(self) -> int:
        """Number of callbacks not yet due."""
        return len(self._timers)

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run `callback` once the clock has moved `delay` simulated seconds on."""
        heapq.heappush(self._timers, (self._now + max(delay, 0.0), next(self._order), callback))

    def advance(self, seconds: float) -> None:
        """Move time forward, running every callback due on the way at its own due time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        target = self._now + seconds
        while self._timers and self._timers[0][0] <= target:
            due, _, callback = heapq.heappop(self._timers)
            self._now = max(self._now, due)
            callback()
        self._now = target


def iso(timestamp: float) -> str:
    """Format epoch seconds the way both clouds do: UTC, milliseconds, "Z"."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms(timestamp: float) -> int:
    """Convert epoch seconds to the integer milliseconds Thor uses."""
    return round(timestamp * 1000)
