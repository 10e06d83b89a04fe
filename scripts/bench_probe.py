"""Benchmark probe, loaded only by scripts/bench: a no-op webhook and a state-write recorder.

scripts/bench_ha.py copies this module, with its manifest, into the benchmark's own config dir
as the custom integration `cpms_bench`.

The no-op webhook is the floor of Home Assistant's HTTP and webhook stack: its handler does
nothing. The recorder keeps, for every session-energy sensor, the time (CLOCK_MONOTONIC, which
the load generator reads too) at which its new state was written, and counts state writes.
"""

from __future__ import annotations

from http import HTTPStatus
import time
from typing import Any

from aiohttp import web
from homeassistant.components.http import HomeAssistantView
from homeassistant.components.webhook import async_register
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.http import KEY_HASS
from homeassistant.helpers.typing import ConfigType

DOMAIN = "cpms_bench"
NOOP_WEBHOOK_ID = "cpms-bench-noop"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the no-op webhook and start recording."""

    async def noop(hass: HomeAssistant, webhook_id: str, request: web.Request) -> None:
        return None

    async_register(hass, DOMAIN, "No-op", NOOP_WEBHOOK_ID, noop, allowed_methods=["POST"])
    probe = Probe()
    hass.bus.async_listen(EVENT_STATE_CHANGED, probe.changed)
    hass.bus.async_listen(EVENT_STATE_REPORTED, probe.reported, event_filter=_any)
    hass.http.register_view(ProbeView(probe))
    return True


@callback
def _any(event_data: Any) -> bool:
    return True


class Probe:
    """What the benchmark reads back after each run."""

    def __init__(self) -> None:
        """Start empty."""
        self.energy: list[tuple[str, str, int]] = []
        self.changed_count = 0
        self.reported_count = 0

    @callback
    def changed(self, event: Event[Any]) -> None:
        """A state was written with a new value."""
        self.changed_count += 1
        entity_id: str = event.data["entity_id"]
        if entity_id.endswith("_session_energy") and (state := event.data["new_state"]):
            self.energy.append((entity_id, state.state, time.monotonic_ns()))

    @callback
    def reported(self, event: Event[Any]) -> None:
        """A state was written unchanged."""
        self.reported_count += 1


class ProbeView(HomeAssistantView):
    """GET: the recorded writes since the last GET, then start again."""

    url = "/api/cpms_bench"
    name = "api:cpms_bench"
    requires_auth = False

    def __init__(self, probe: Probe) -> None:
        """Serve `probe`."""
        self._probe = probe

    async def get(self, request: web.Request) -> web.Response:
        """The energy writes with the connector each belongs to, and the write counts."""
        hass = request.app[KEY_HASS]
        probe = self._probe
        registry = er.async_get(hass)
        connectors = {
            entry.entity_id: entry.unique_id.removesuffix("_session_energy")
            for entry in registry.entities.values()
            if entry.platform == "cpms" and entry.unique_id.endswith("_session_energy")
        }
        answer = {
            "energy": [(connectors.get(e, e), s, t) for e, s, t in probe.energy],
            "changed": probe.changed_count,
            "reported": probe.reported_count,
            "entities": len(hass.states.async_entity_ids()),
            "connectors": sorted(connectors.values()),
        }
        probe.energy = []
        probe.changed_count = probe.reported_count = 0
        return self.json(answer, HTTPStatus.OK)
