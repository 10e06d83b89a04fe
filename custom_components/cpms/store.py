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
    """Keeps the last session of every connector, with the references to stop it."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Store under the config entry's id."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True
        )

    async def async_load(self) -> StoredState:
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
        return StoredState(
            webhooks_confirmed=bool(data.get("webhooks_confirmed")),
            sessions=sessions,
            current_limits=limits,
            meters=meters,
        )

    def async_schedule_save(self, state: StoredState) -> None:
        """Save soon, coalescing bursts of meter values into one write."""
        self._store.async_delay_save(lambda: _state_to_dict(state), SAVE_DELAY_S)

    async def async_save(self, state: StoredState) -> None:
        """Save now, replacing any pending delayed save."""
        await self._store.async_save(_state_to_dict(state))

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()


def _state_to_dict(state: StoredState) -> dict[str, Any]:
    return {
        "webhooks_confirmed": state.webhooks_confirmed,
        "sessions": {cid: _session_to_dict(s) for cid, s in state.sessions.items()},
        "current_limits": state.current_limits,
        "meters": state.meters,
    }


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
        )
    except AttributeError, KeyError, TypeError, ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
