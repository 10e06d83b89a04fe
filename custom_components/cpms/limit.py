"""Current-limit requests, paced so that a burst of changes costs the cloud one or two calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
import logging
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later

from .api import Connector

_LOGGER = logging.getLogger(__name__)

# At most one request per connector in this time: 4 a minute. Solar controllers adjust every
# 30 s or more, so they are never slowed down; a slider dragged across its range costs 2 calls.
LIMIT_INTERVAL: Final = timedelta(seconds=15)
# IEC 61851 charging needs at least 6 A; a connector's rating caps it, else a common 32 A.
MIN_CURRENT_A: Final = 6
DEFAULT_MAX_CURRENT_A: Final = 32
# eDRV rates connectors in kW only: above what one phase carries (32 A at 230 V), three phases.
VOLTAGE_V: Final = 230
SINGLE_PHASE_MAX_KW: Final = 7.4


def max_current(connector: Connector) -> float:
    """The highest limit a connector takes: its rated current, else from its power (11 kW: 16 A)."""
    if connector.max_current_a:
        return connector.max_current_a
    if connector.max_power_kw:
        phases = 3 if connector.max_power_kw > SINGLE_PHASE_MAX_KW else 1
        return max(MIN_CURRENT_A, round(connector.max_power_kw * 1000 / (VOLTAGE_V * phases)))
    return DEFAULT_MAX_CURRENT_A


class LimitPacer:
    """Sends one connector's limit at once when it may, else the latest value when it may again.

    The first change after a quiet interval goes out at once and its errors reach the caller.
    Changes within the interval replace each other; only the last one is sent, when the
    interval is over; a failure then is logged. `on_settled` runs after each delayed send.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        send: Callable[[float], Awaitable[None]],
        on_settled: Callable[[], None],
    ) -> None:
        """Send with `send`; `on_settled` runs once a delayed value was sent or refused."""
        self._hass = hass
        self._send = send
        self._on_settled = on_settled
        self._last_sent: float | None = None
        self._sending = False
        self._timer: CALLBACK_TYPE | None = None
        self.pending: float | None = None

    async def async_request(self, amps: float) -> None:
        """Send `amps` now, or keep it as the value to send when the interval is over."""
        if self._sending or self._timer is not None or self._wait() > 0:
            self.pending = amps
            self._schedule()
            return
        self.pending = None
        await self._async_send(amps)

    @callback
    def cancel(self) -> None:
        """Forget the waiting value: the one in force is wanted again."""
        self.pending = None
        if self._timer is not None:
            self._timer()
            self._timer = None

    def _wait(self) -> float:
        if self._last_sent is None:
            return 0.0
        elapsed = self._hass.loop.time() - self._last_sent
        return max(0.0, LIMIT_INTERVAL.total_seconds() - elapsed)

    def _schedule(self) -> None:
        if self._timer is None and not self._sending:
            self._timer = async_call_later(
                self._hass,
                self._wait(),
                HassJob(self._async_flush, cancel_on_shutdown=True),
            )

    async def _async_send(self, amps: float) -> None:
        self._sending = True
        self._last_sent = self._hass.loop.time()
        try:
            await self._send(amps)
        finally:
            self._sending = False
            if self.pending is not None:
                self._schedule()

    async def _async_flush(self, _now: datetime) -> None:
        self._timer = None
        amps, self.pending = self.pending, None
        if amps is None:
            return
        try:
            await self._async_send(amps)
        except HomeAssistantError as err:
            _LOGGER.warning("Setting the current limit to %s A failed: %s", amps, err)
        self._on_settled()
