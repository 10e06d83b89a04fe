"""Persistence of what a restart must not lose: the sessions and whether push works."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
import hashlib
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .api import Money, Session, SessionRef, SessionStatus
from .const import DOMAIN

STORAGE_VERSION = 1
SAVE_DELAY_S = 5
# Deliveries remembered, so that one delivered again, even after a restart, is applied once.
# A burst of meter values is far below this; a replay older than this meets the session rules.
SEEN_EVENTS_KEPT = 2048
# Sessions that ended or were replaced on a connector: a report about one never revives it.
PAST_SESSIONS_KEPT = 256


@dataclass(kw_only=True)
class StoredState:
    """The part of the account's state that survives a restart."""

    webhooks_confirmed: bool = False
    # eDRV deliveries were signed over their timestamp: the weaker variants are refused.
    signatures_timestamped: bool = False
    last_webhook: datetime | None = None
    sessions: dict[str, Session] = field(default_factory=dict)
    current_limits: dict[str, float] = field(default_factory=dict)
    # Which of the events of each connector's session were fired ("started", "ended").
    announced: dict[str, set[str]] = field(default_factory=dict)
    seen_events: OrderedDict[str, None] = field(default_factory=OrderedDict)
    past_sessions: OrderedDict[str, None] = field(default_factory=OrderedDict)
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
        if "announced" in data:
            announced = {
                connector_id: {str(what) for what in events}
                for connector_id, events in (data.get("announced") or {}).items()
                if isinstance(events, list)
            }
        else:  # stored before events were recorded: what the status says was fired
            announced = {cid: _fired_by_status(s) for cid, s in sessions.items()}
        meters = {
            connector_id: float(wh)
            for connector_id, wh in (data.get("meters") or {}).items()
            if isinstance(wh, int | float)
        }
        self._state = StoredState(
            webhooks_confirmed=bool(data.get("webhooks_confirmed")),
            signatures_timestamped=bool(data.get("signatures_timestamped")),
            last_webhook=_datetime(data.get("last_webhook")),
            sessions=sessions,
            current_limits=limits,
            announced=announced,
            seen_events=_bounded(data.get("seen_events")),
            past_sessions=_bounded(data.get("past_sessions")),
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

    @property
    def last_webhook(self) -> datetime | None:
        """When the last verified webhook arrived."""
        return self._state.last_webhook

    def confirm_webhook(self, when: datetime) -> None:
        """A verified webhook arrived: push works, and this is the last one."""
        self._state.webhooks_confirmed = True
        self._state.last_webhook = when
        self._schedule_save()

    def meter(self, connector_id: str) -> float | None:
        """The connector's last meter register reading shown, in Wh."""
        return self._state.meters.get(connector_id)

    @property
    def signatures_timestamped(self) -> bool:
        """Whether a delivery was signed over its timestamp."""
        return self._state.signatures_timestamped

    def note_signatures_timestamped(self) -> None:
        """A delivery verified with a signature over its timestamp."""
        self._state.signatures_timestamped = True
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

    def announced(self, connector_id: str) -> set[str]:
        """The events fired for the connector's session; the caller adds to the set it gets."""
        return self._state.announced.setdefault(connector_id, set())

    def announce(self, connector_id: str, what: str) -> None:
        """Remember that the connector's session fired its "started" or "ended" event."""
        self.announced(connector_id).add(what)
        self._schedule_save()

    def forget_announced(self, connector_id: str) -> None:
        """A new session on the connector: none of its events fired yet."""
        self._state.announced.pop(connector_id, None)

    def first_delivery(self, event_id: str) -> bool:
        """Whether an event is new; remembers it, so the next delivery of it is not."""
        seen = self._state.seen_events
        digest = _digest(event_id)
        if digest in seen:
            return False
        seen[digest] = None
        if len(seen) > SEEN_EVENTS_KEPT:
            seen.popitem(last=False)
        self._schedule_save()
        return True

    def is_past(self, keys: list[str]) -> bool:
        """Whether a session with any of these keys ended or was replaced before."""
        return any(key in self._state.past_sessions for key in keys)

    def retire(self, keys: list[str]) -> None:
        """A session ended or was replaced: a later report about it is about the past."""
        past = self._state.past_sessions
        for key in keys:
            past[key] = None
            past.move_to_end(key)
        while len(past) > PAST_SESSIONS_KEPT:
            past.popitem(last=False)
        if keys:
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
            "signatures_timestamped": self._state.signatures_timestamped,
            "last_webhook": _iso(self._state.last_webhook),
            "sessions": dict(self._saved_sessions),
            "current_limits": dict(self._state.current_limits),
            "meters": dict(self._state.meters),
            "announced": {
                cid: sorted(events) for cid, events in self._state.announced.items() if events
            },
            "seen_events": list(self._state.seen_events),
            "past_sessions": list(self._state.past_sessions),
        }

    async def async_save(self) -> None:
        """Save now, replacing any pending delayed save."""
        await self._store.async_save(self._data_to_save())

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()


def _fired_by_status(session: Session) -> set[str]:
    fired = set()
    if session.started_at is not None or session.status is SessionStatus.STARTED:
        fired.add("started")
    if not session.status.is_active:
        fired.add("ended")
    return fired


def _digest(event_id: str) -> str:
    # Short and fixed in size: Thor's ids are hashes of whole bodies.
    return hashlib.blake2b(event_id.encode(), digest_size=8).hexdigest()


def _bounded(raw: Any) -> OrderedDict[str, None]:
    if not isinstance(raw, list):
        return OrderedDict()
    return OrderedDict.fromkeys(str(item) for item in raw)


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
