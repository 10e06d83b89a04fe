"""Persistence of what a restart must not lose: the sessions and whether push works."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .api import Money, Session, SessionRef, SessionStatus
from .const import DOMAIN

STORAGE_VERSION = 1
SAVE_DELAY_S = 5


@dataclass(kw_only=True)
class StoredState:
    """The part of the account's state that survives a restart."""

    webhooks_confirmed: bool = False
    sessions: dict[str, Session] = field(default_factory=dict)
    current_limits: dict[str, float] = field(default_factory=dict)
    meters: dict[str, float] = field(default_factory=dict)


class SessionStore:
    """Keeps each connector's last session, limit and meter reading, and whether push works.

    Every change saves itself a few seconds later, so a burst of meter values is one write.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Store under the config entry's id."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True
        )
        self._state = StoredState()
        self._save_pending = False
        # Each session as saved, rebuilt only when it changed: a save of a large account then
        # costs what changed since the last one, not every connector again.
        self._saved_sessions: dict[str, dict[str, Any]] = {}
        self._changed_sessions: set[str] = set()

    async def async_load(self) -> None:
        """Read the stored state; unreadable entries are dropped, not fatal."""
        data = await self._store.async_load() or {}
        sessions: dict[str, Session] = {}
        for connector_id, raw in (data.get("sessions") or {}).items():
            if (session := _session_from_dict(raw)) is not None:
                sessions[connector_id] = session
        limits = {
            connector_id: float(amps)
            for connector_id, amps in (data.get("current_limits") or {}).items()
            if isinstance(amps, int | float)
        }
        meters = {
            connector_id: float(wh)
            for connector_id, wh in (data.get("meters") or {}).items()
            if isinstance(wh, int | float)
        }
        self._state = StoredState(
            webhooks_confirmed=bool(data.get("webhooks_confirmed")),
            sessions=sessions,
            current_limits=limits,
            meters=meters,
        )
        self._saved_sessions = {}
        self._changed_sessions = set(sessions)

    @property
    def webhooks_confirmed(self) -> bool:
        """Whether a verified webhook ever arrived."""
        return self._state.webhooks_confirmed

    def session(self, connector_id: str) -> Session | None:
        """The connector's last known session."""
        return self._state.sessions.get(connector_id)

    def current_limit(self, connector_id: str) -> float | None:
        """The current limit last set on the connector."""
        return self._state.current_limits.get(connector_id)

    def meter(self, connector_id: str) -> float | None:
        """The connector's last meter register reading shown, in Wh."""
        return self._state.meters.get(connector_id)

    def confirm_webhooks(self) -> None:
        """A verified webhook arrived: push works."""
        if not self._state.webhooks_confirmed:
            self._state.webhooks_confirmed = True
            self._schedule_save()

    def expect_webhooks(self) -> None:
        """The webhook setup was changed: push is unproven until the next webhook."""
        if self._state.webhooks_confirmed:
            self._state.webhooks_confirmed = False
            self._schedule_save()

    def save_session(self, connector_id: str, session: Session) -> None:
        """Remember the connector's session, with the references needed to stop it."""
        self._state.sessions[connector_id] = session
        self._changed_sessions.add(connector_id)
        self._schedule_save()

    def save_current_limit(self, connector_id: str, amps: float | None) -> None:
        """Remember the connector's current limit; None forgets it."""
        if amps is None:
            self._state.current_limits.pop(connector_id, None)
        else:
            self._state.current_limits[connector_id] = amps
        self._schedule_save()

    def save_meter(self, connector_id: str, wh: float) -> None:
        """Remember the connector's meter register reading."""
        self._state.meters[connector_id] = wh
        self._schedule_save()

    def _schedule_save(self) -> None:
        # One pending save at a time: rescheduling at every meter value would put it off forever.
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY_S)

    def _data_to_save(self) -> dict[str, Any]:
        self._save_pending = False
        sessions = self._state.sessions
        for connector_id in self._changed_sessions:
            self._saved_sessions[connector_id] = _session_to_dict(sessions[connector_id])
        self._changed_sessions.clear()
        return {
            "webhooks_confirmed": self._state.webhooks_confirmed,
            "sessions": dict(self._saved_sessions),
            "current_limits": dict(self._state.current_limits),
            "meters": dict(self._state.meters),
        }

    async def async_save(self) -> None:
        """Save now, replacing any pending delayed save."""
        await self._store.async_save(self._data_to_save())

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()


def _session_to_dict(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "station_id": session.station_id,
        "connector_id": session.connector_id,
        "status": session.status.value,
        "ref": session.ref.as_dict(),
        "energy_wh": session.energy_wh,
        "cost": None
        if session.cost is None
        else {"amount": session.cost.amount, "currency": session.cost.currency},
        "started_at": _iso(session.started_at),
        "ended_at": _iso(session.ended_at),
        "meter_start_wh": session.meter_start_wh,
    }


def _session_from_dict(raw: Any) -> Session | None:
    try:
        cost = raw.get("cost")
        return Session(
            id=str(raw["id"]),
            station_id=str(raw["station_id"]),
            connector_id=str(raw["connector_id"]),
            status=SessionStatus(raw["status"]),
            ref=SessionRef.from_dict(raw.get("ref") or {}),
            energy_wh=None if raw.get("energy_wh") is None else float(raw["energy_wh"]),
            cost=None
            if not cost
            else Money(amount=float(cost["amount"]), currency=str(cost["currency"])),
            started_at=_datetime(raw.get("started_at")),
            ended_at=_datetime(raw.get("ended_at")),
            meter_start_wh=None
            if raw.get("meter_start_wh") is None
            else float(raw["meter_start_wh"]),
        )
    except AttributeError, KeyError, TypeError, ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
