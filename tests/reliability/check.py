"""Compare every session of the simulated cloud with what Home Assistant recorded of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from homeassistant.core import Event, HomeAssistant, callback

from custom_components.cpms.const import EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from simulator.world import Phase, Provider, Session as SimSession

from ..integration.conftest import Account
from .tally import Tally

# How the simulator's final phases read in Home Assistant. A start the vehicle never took is
# "cancelled" for eDRV and "start_failed" for Thor (Thor reports a refused start).
_FINAL = {
    Phase.ENDED: {"ended"},
    Phase.CANCELLED: {"cancelled", "start_failed"},
    Phase.FAILED: {"start_failed", "cancelled"},
}
ENERGY_TOLERANCE_WH = 1.0  # the end event rounds to Wh


@dataclass
class SessionEvents:
    """Every session event Home Assistant fired, in order."""

    started: list[dict[str, object]] = field(default_factory=list)
    ended: list[dict[str, object]] = field(default_factory=list)

    @classmethod
    def capture(cls, hass: HomeAssistant) -> SessionEvents:
        """Listen from now on (for the whole test)."""
        events = cls()

        @callback
        def started(event: Event) -> None:
            events.started.append(dict(event.data))

        @callback
        def ended(event: Event) -> None:
            events.ended.append(dict(event.data))

        hass.bus.async_listen(EVENT_SESSION_STARTED, started)
        hass.bus.async_listen(EVENT_SESSION_ENDED, ended)
        return events


def sim_sessions(account: Account) -> list[SimSession]:
    """The account's sessions in the simulated cloud, oldest first."""
    provider = Provider(account.provider)
    return [s for s in account.sim.world.sessions if s.station.provider is provider]


def compare(account: Account, events: SessionEvents, tally: Tally) -> list[str]:
    """Count the sessions and what matched; return what did not, for the assertion message.

    Per connector, the ended events must be the cloud's finished sessions, in order, with their
    energy; the running one must be shown with its energy. Each session that charged fires one
    start event, each finished one one end event.
    """
    world = account.sim.world
    coordinator = account.entry.runtime_data
    problems: list[str] = []
    by_connector: dict[str, list[SimSession]] = {}
    for session in sim_sessions(account):
        by_connector.setdefault(session.connector.id, []).append(session)
    for connector_id, sessions in by_connector.items():
        ended = [e for e in events.ended if e["connector_id"] == connector_id]
        started = [e for e in events.started if e["connector_id"] == connector_id]
        finished = [s for s in sessions if not s.active]
        charged = [s for s in sessions if s.started_at is not None]
        tally.duplicate_end_events += max(0, len(ended) - len(finished))
        tally.duplicate_end_events += sum(
            n - 1 for n in Counter(e["session_id"] for e in ended).values() if n > 1
        )
        tally.duplicate_starts += max(0, len(started) - len(charged))
        if len(started) != len(charged):
            problems.append(f"{connector_id}: {len(started)} start events, {len(charged)} charged")
        for index, session in enumerate(sessions):
            tally.sessions_run += 1
            want_wh = world.energy_wh(session)
            if session.active:
                state = coordinator.data.connectors[connector_id].session
                got_wh = state.energy_wh if state else None
                # A running session's energy is as of its last meter report.
                lag_wh = world.power_now_w(session) * account.sim.config.meter_interval_s / 3600
                ok = (
                    index == len(sessions) - 1
                    and state is not None
                    and state.status.is_active
                    and want_wh - lag_wh - ENERGY_TOLERANCE_WH
                    <= (got_wh or 0.0)
                    <= want_wh + ENERGY_TOLERANCE_WH
                )
                what = f"active, {want_wh:.1f} Wh; shown {state}"
            else:
                position = finished.index(session)
                event = ended[position] if position < len(ended) else None
                got_wh = None if event is None else (event["energy_kwh"] or 0.0) * 1000  # type: ignore[operator]
                ok = (
                    event is not None
                    and event["reason"] in _FINAL[session.phase]
                    and abs((got_wh or 0.0) - want_wh) <= ENERGY_TOLERANCE_WH
                )
                what = f"{session.phase}, {want_wh:.1f} Wh; end event {event}"
            if ok:
                tally.sessions_matched += 1
            else:
                problems.append(f"{connector_id} session {session.id}: {what}")
    return problems
