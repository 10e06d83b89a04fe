"""The connector's meter register, as a lifetime reading the Energy dashboard can trust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# The Energy dashboard reads a drop below 90 % of the last value as a new meter cycle.
NEW_METER_RATIO: Final = 0.9


@dataclass(kw_only=True)
class MeterRegister:
    """The last register reading shown, and a new meter's first reading awaiting a second.

    A reading a little below the last one (a late delivery) is ignored. A reading far below it
    is a new meter (a swap, a reset) once a second reading agrees, so one stray 0 never counts
    the whole register twice.
    """

    wh: float | None = None
    _new_meter: float | None = None

    def update(self, reading: float) -> bool:
        """Take a reading in; True when the value shown changed."""
        last = self.wh
        if reading < 0:
            return False
        if last is None or reading >= last:
            self._new_meter = None
            if reading == last:
                return False
            self.wh = reading
            return True
        if reading >= NEW_METER_RATIO * last:
            return False
        if self._new_meter is not None and reading >= self._new_meter:
            self._new_meter = None
            self.wh = reading
            return True
        self._new_meter = reading
        return False
