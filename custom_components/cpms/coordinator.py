"""The account's sessions: one state per connector, fed by webhooks and rare reconciliation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
import logging
import math
import time
from typing import cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    CommandResultEvent,
    ConnectorStatusEvent,
    CpmsAccessDeniedError,
    CpmsAuthenticationError,
    CpmsClient,
    CpmsError,
    CpmsRejectedError,
    CurrentLimitClient,
    Event,
    MeterValuesEvent,
    Provider,
    Session,
    SessionEvent,
    SessionStatus,
    SessionTargetClient,
    Station,
    StationOnlineEvent,
)
from .const import (
    CONF_SAFETY_REFRESH,
    DEFAULT_SAFETY_REFRESH_MINUTES,
    DOMAIN,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
    ISSUE_ACCESS_DENIED,
    ISSUE_COMMANDS_REFUSED,
    ISSUE_NEW_STATIONS,
    ISSUE_WEBHOOK_SECRET,
    ISSUE_WEBHOOKS_NOT_ARRIVING,
    START_DEADLINE,
    STATION_RELIST_COOLDOWN,
    STOP_DEADLINE,
    UNCONFIRMED_REFRESHES,
)
from .data import ConnectorState, CpmsData, Deliveries, Refusal
from .devices import async_sync_devices
from .errors import ACCESS_ISSUE_KEYS, error_from_cpms, translated_error
from .limit import LimitPacer
from .listing import async_take_listing
from .merge import charged, combine, same_session, session_keys, started_before
from .meter import MeterRegister
from .providers import PROVIDER_NAMES
from .selection import StationSelection
from .store import SessionStore

_LOGGER = logging.getLogger(__name__)

type CpmsConfigEntry = ConfigEntry[CpmsCoordinator]


@dataclass(frozen=True, slots=True, eq=False)
class _Intent:
    """A command not carried out yet; compared by identity, so a newer one is told apart."""

    on: bool
    targets: Mapping[str, float] | None = None


@dataclass(frozen=True, slots=True)
class RefusedDelivery:
    """The last delivery refused for its signature: a new secret can be checked against it."""

    body: bytes
    headers: dict[str, str]
    received: float = field(default_factory=time.time)


_PENDING_START = frozenset({SessionStatus.REQUESTED, SessionStatus.CREATED})
# A connector of unknown rating is taken as the fastest DC charger; reports beyond what the
# rating delivers since the start (plus a margin for clocks and meters) are not energy.
_DEFAULT_RATING_KW = 350.0
_ENERGY_MARGIN = timedelta(minutes=30)
_ENERGY_FACTOR = 1.1
# After a read that confirmed none of the notifications it was for, further ones wait this
# long: a flood of forged notifications costs one read, not one each.
_HINT_QUIET = timedelta(minutes=1)
_HINTS_KEPT = 4
_CONFIRMED_RUNNING = frozenset(
    {SessionStatus.STARTED, SessionStatus.STOPPING, SessionStatus.STOP_FAILED}
)
_OFFERED_NAMES_SHOWN = 10


class CpmsCoordinator(DataUpdateCoordinator[CpmsData]):
    """Holds one normalized state per connector, fed by webhooks and rare reconciliation.

    A change reaches only the entities of the connector or station it concerns, through
    listeners keyed by connector, station or entry id; a broadcast follows only a refresh
    or a new station listing.
    """

    config_entry: CpmsConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CpmsConfigEntry,
        client: CpmsClient,
        store: SessionStore,
        webhook_url: str | None,
    ) -> None:
        """Start in the state of an account whose webhooks are not yet confirmed."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=UNCONFIRMED_REFRESHES[0],
        )
        self.client = client
        self.webhook_url = webhook_url
        self.station_device_ids: dict[str, str] = {}
        self.data = CpmsData()
        self.deliveries = Deliveries()
        self.selection = StationSelection.from_options(entry.options)
        # New stations that the selection leaves to the user, asked about in a repair issue.
        self.offered_stations: list[Station] = []
        self.refused_signature: RefusedDelivery | None = None
        # Every station of the account, and those of them the selection leaves out.
        self._account_stations: frozenset[str] = frozenset()
        self._hidden_stations: frozenset[str] = frozenset()
        self._store = store
        self._stations_listed = False
        self._refreshed_once = False
        self._last_relist: datetime | None = None
        self._deadlines: dict[str, CALLBACK_TYPE] = {}
        self._intents: dict[str, _Intent] = {}
        # Unsigned push (Thor) only hints at a change; a read of the running charges confirms it.
        self._push_is_hint = client.provider is Provider.THOR
        self._hints: dict[str, list[Session]] = {}
        self._confirming = False
        self._hints_quiet_until: datetime | None = None
        self._command_locks: dict[str, asyncio.Lock] = {}
        self._previous_limits: dict[str, float | None] = {}
        # The session a limit was sent for; None for the connector's default.
        self._limit_sessions: dict[str, str | None] = {}
        self._pacers: dict[str, LimitPacer] = {}
        self._meter_listeners: list[Callable[[str], None]] = []
        # Connectors whose session is active, so the polling schedule is O(1) to decide.
        self._active: set[str] = set()
        # A restart may have kept the issue; after one deletion it is known to be gone.
        self._issue_may_exist = True
        self._key_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        self._station_listeners: list[CALLBACK_TYPE] = []
        self._changed: set[str] = set()
        # Reads made while no webhook ever arrived: each one waits longer for the next.
        self._unconfirmed_reads = 0
        self._issues: set[str] = {ISSUE_WEBHOOK_SECRET, ISSUE_ACCESS_DENIED, ISSUE_COMMANDS_REFUSED}

    @property
    def webhooks_confirmed(self) -> bool:
        """Whether a verified webhook ever arrived for this account."""
        return self._store.webhooks_confirmed

    @property
    def signatures_timestamped(self) -> bool:
        """Whether eDRV signed a delivery over its timestamp: weaker signatures are refused."""
        return self._store.signatures_timestamped

    @callback
    def note_signatures_timestamped(self) -> None:
        """Keep, across restarts, that deliveries are signed over their timestamp."""
        self._store.note_signatures_timestamped()

    @property
    def safety_refresh(self) -> timedelta:
        """How often active sessions are re-read while webhooks are healthy."""
        minutes = self.config_entry.options.get(CONF_SAFETY_REFRESH, DEFAULT_SAFETY_REFRESH_MINUTES)
        return timedelta(minutes=minutes)

    async def _async_setup(self) -> None:
        """Restore the sessions, and when the last webhook came, that a restart would forget."""
        await self._store.async_load()
        self.data.last_webhook = self._store.last_webhook

    async def _async_update_data(self) -> CpmsData:
        """List stations once, then reconcile active sessions with the cloud."""
        if not self._store.webhooks_confirmed:
            self._unconfirmed_reads += 1
        try:
            if not self._stations_listed:
                stations = async_take_listing(self.hass, self.config_entry.unique_id)
                self._set_stations(stations or await self.client.async_get_stations())
            active = await self.client.async_get_active_sessions()
            moved = await self._async_reconcile(active)
        except CpmsAccessDeniedError as err:
            # A dashboard setting refuses this caller: a new key would not help, so no reauth.
            self._raise_access_issue(err)
            self._update_schedule()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except CpmsAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            ) from err
        except CpmsError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._delete_issue(ISSUE_ACCESS_DENIED)
        # At start-up the cloud may have moved while Home Assistant was down; later it should not.
        if moved and self._refreshed_once:
            self._raise_webhook_issue()
        self._refreshed_once = True
        self._changed.clear()  # the refresh itself tells every listener
        self._update_schedule()
        return self.data

    # Listeners

    @callback
    def async_add_key_listener(self, key: str, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` when the connector, station or account named by `key` changes."""
        listeners = self._key_listeners.setdefault(key, [])
        listeners.append(update)

        @callback
        def remove() -> None:
            listeners.remove(update)
            if not listeners:
                del self._key_listeners[key]

        return remove

    @callback
    def async_add_station_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` when the station list was read again."""
        self._station_listeners.append(update)
        return partial(self._station_listeners.remove, update)

    @callback
    def _async_notify_changed(self) -> None:
        """Tell the listeners of what changed since the last call."""
        changed, self._changed = self._changed, set()
        for key in changed:
            for update in self._key_listeners.get(key, ()):
                update()

    # Stations and connectors

    def _set_stations(self, stations: Iterable[Station]) -> None:
        """Replace the station list, keeping the session of every known connector.

        Stations the selection leaves out get no state and no devices; their events are ignored.
        """
        listed = list(stations)
        self._account_stations = frozenset(station.id for station in listed)
        self._hidden_stations = frozenset(
            station.id for station in listed if not self.selection.shows(station.id)
        )
        self._offer_stations([s for s in listed if self.selection.is_offered(s.id)])
        old = self.data.connectors
        self.data.stations = {
            station.id: station for station in listed if station.id not in self._hidden_stations
        }
        self.data.connectors = {}
        for station in self.data.stations.values():
            for connector in station.connectors:
                previous = old.get(connector.id)
                state = ConnectorState(
                    connector=connector,
                    session=previous.session if previous else self._store.session(connector.id),
                    current_limit=self._store.current_limit(connector.id),
                    meter=previous.meter
                    if previous
                    else MeterRegister(wh=self._store.meter(connector.id)),
                )
                if previous:
                    state.requested_limit = previous.requested_limit
                self.data.connectors[connector.id] = state
        self._active = {
            connector_id
            for connector_id, state in self.data.connectors.items()
            if state.session is not None and state.session.status.is_active
        }
        self._stations_listed = True
        self.station_device_ids = async_sync_devices(
            self.hass, self.config_entry, PROVIDER_NAMES[self.client.provider], self.data
        )

    @callback
    def _async_relist_stations(self) -> None:
        """List stations again, at most once per cooldown, because a webhook named a new one."""
        now = dt_util.utcnow()
        if self._last_relist and now - self._last_relist < STATION_RELIST_COOLDOWN:
            return
        self._last_relist = now
        self.config_entry.async_create_background_task(
            self.hass, self._async_relist(), f"{DOMAIN} station listing"
        )

    async def _async_relist(self) -> None:
        try:
            stations = await self.client.async_get_stations()
        except CpmsError as err:
            _LOGGER.warning("Listing stations failed: %s", err)
            return
        self._set_stations(stations)
        for update in list(self._station_listeners):
            update()
        self.async_update_listeners()

    def station_ids(self) -> Collection[str]:
        """Stations on the account now, shown or not; Thor's decoder refuses any other."""
        return self._account_stations

    def _offer_stations(self, offered: list[Station]) -> None:
        """Ask about new stations in a repair issue whose fix adds them; none, no issue."""
        self.offered_stations = offered
        issue_id = f"{ISSUE_NEW_STATIONS}_{self.config_entry.entry_id}"
        if not offered:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        names = [station.name for station in offered[:_OFFERED_NAMES_SHOWN]]
        if len(offered) > _OFFERED_NAMES_SHOWN:
            names.append(f"+{len(offered) - _OFFERED_NAMES_SHOWN}")
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            data={"entry_id": self.config_entry.entry_id},
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NEW_STATIONS,
            translation_placeholders={
                "title": self.config_entry.title,
                "count": str(len(offered)),
                "stations": ", ".join(names),
            },
        )

    # Push

    @callback
    def note_refused_signature(self, body: bytes, headers: Mapping[str, str]) -> None:
        """A delivery failed the signature check: nothing of it applies, but the user must know.

        The delivery is kept, to check a new secret against; the repair issue asks for it.
        """
        self.refused_signature = RefusedDelivery(body, dict(headers))
        self._issues.add(ISSUE_WEBHOOK_SECRET)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_WEBHOOK_SECRET}_{self.config_entry.entry_id}",
            data={"entry_id": self.config_entry.entry_id},
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_WEBHOOK_SECRET,
            translation_placeholders={"title": self.config_entry.title},
        )

    @callback
    def async_handle_events(self, events: Iterable[Event]) -> None:
        """Apply the events of a verified delivery."""
        self.data.last_webhook = dt_util.utcnow()
        self.deliveries.accept()
        self._changed.add(self.config_entry.entry_id)
        self._store.confirm_webhook(self.data.last_webhook)
        if self._issue_may_exist:
            self._issue_may_exist = False
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        self._delete_issue(ISSUE_WEBHOOK_SECRET)
        for event in events:
            # The record outlives a restart: a delivery seen before it is not applied again.
            if self._store.first_delivery(event.event_id):
                self._apply_event(event)
        self._update_schedule()
        # Not async_set_updated_data: that would postpone the safety refresh at every webhook,
        # and a steady meter stream of one session must not hide a lost webhook of another.
        self.last_update_success = True
        self._async_notify_changed()

    def _with_station(self, event: Event) -> Event:
        """Name the station of a command result that names only its connector.

        A connector's default limit answers so, as eDRV's sample shows.
        """
        if (
            isinstance(event, CommandResultEvent)
            and not event.station_id
            and (state := self.data.connectors.get(event.connector_id or ""))
        ):
            return replace(event, station_id=state.connector.station_id)
        return event

    def _apply_event(self, event: Event) -> None:
        event = self._with_station(event)
        if event.station_id not in self.data.stations:
            if event.station_id not in self._hidden_stations:
                self._async_relist_stations()
            return
        match event:
            case SessionEvent(session=session):
                if (state := self.data.connectors.get(session.connector_id)) is None:
                    self._async_relist_stations()
                elif self._push_is_hint:
                    self._async_hint(state, session)
                else:
                    self._merge(state, session)
            case MeterValuesEvent():
                self._apply_meter_values(event)
            case ConnectorStatusEvent(connector_id=connector_id, status=status):
                if state := self.data.connectors.get(connector_id):
                    state.connector = replace(state.connector, status=status)
                    self._changed.add(connector_id)
            case StationOnlineEvent(online=online):
                station = self.data.stations[event.station_id]
                self.data.stations[event.station_id] = replace(station, online=online)
                # Every connector of the station is available or not with it.
                self._changed.add(station.id)
                self._changed.update(connector.id for connector in station.connectors)
            case CommandResultEvent(command=command, accepted=accepted, message=message):
                _LOGGER.info(
                    "Station %s %s %s%s",
                    event.station_id,
                    "accepted" if accepted else "rejected",
                    command,
                    f": {message}" if message else "",
                )
                if not accepted and event.connector_id:
                    self._revert_current_limit(event.connector_id)

    def _apply_meter_values(self, event: MeterValuesEvent) -> None:
        """Meter values count only for the connector's confirmed, running session.

        Values about anything else may be about a charge whose start notification was lost:
        one read of the running charges tells.
        """
        state = self.data.connectors.get(event.connector_id)
        if state is None:
            return
        session = state.session
        tag, own_tag = event.ref.thor_id_tag, session.ref.thor_id_tag if session else None
        if (
            session is None
            or session.status not in _CONFIRMED_RUNNING
            or (tag and own_tag and tag != own_tag)
        ):
            self._async_hint(state, None)
            return
        energy, meter_start = event.energy_wh, session.meter_start_wh
        if energy is None and event.meter_wh is not None:
            # No session energy: the register's rise since the session began, never the
            # register itself (881 kWh for a 1 kWh charge would stay on the Energy dashboard).
            if meter_start is None:
                meter_start = event.meter_wh - (session.energy_wh or 0.0)
            energy = max(event.meter_wh - meter_start, 0.0)
        self._merge(
            state,
            replace(
                session,
                energy_wh=energy,
                meter_wh=event.meter_wh,
                meter_start_wh=meter_start,
                power_w=event.power_w,
                current_a=event.current_a,
                soc=event.soc,
            ),
        )

    # Unsigned notifications

    @callback
    def _async_hint(self, state: ConnectorState, hint: Session | None) -> None:
        """Note a notification about a connector; a read of the running charges will judge it.

        Nothing of it is shown (status, energy, or the references a stop uses) unless the read
        confirms it. One that could not change anything is not worth a read.
        """
        session = state.session
        if hint is not None:
            if (
                hint.status is SessionStatus.STARTED
                and session is not None
                and session.status in _CONFIRMED_RUNNING
                and same_session(session, hint)
            ):
                return
            if not hint.status.is_active and (session is None or not session.status.is_active):
                return
            hints = self._hints.setdefault(state.connector.id, [])
            hints.append(hint)
            del hints[:-_HINTS_KEPT]
        else:
            self._hints.setdefault(state.connector.id, [])
        # The answer to a command of ours is always worth a read.
        expected = session is not None and (
            session.status in _PENDING_START or session.status is SessionStatus.STOPPING
        )
        quiet = self._hints_quiet_until
        if self._confirming or (not expected and quiet is not None and dt_util.utcnow() < quiet):
            return
        self._confirming = True
        self.config_entry.async_create_task(
            self.hass, self._async_confirm_hints(), f"{DOMAIN} confirm notifications"
        )

    async def _async_confirm_hints(self) -> None:
        # Notifications arriving during the read are judged by a read after it.
        hints, self._hints = self._hints, {}
        try:
            running = await self.client.async_get_active_sessions()
        except CpmsError as err:
            _LOGGER.warning("Checking notifications against the running charges failed: %s", err)
            self._confirming = False
            return
        charges = {charge.connector_id: charge for charge in running}
        confirmed = False
        for connector_id, hinted in hints.items():
            if state := self.data.connectors.get(connector_id):
                try:
                    confirmed |= await self._async_confirm(state, charges.get(connector_id), hinted)
                except CpmsError as err:
                    _LOGGER.warning("Reading the end of a charge failed: %s", err)
        if not confirmed:
            self._hints_quiet_until = dt_util.utcnow() + _HINT_QUIET
        self._confirming = False
        if self._hints:
            self._confirming = True
            self.config_entry.async_create_task(
                self.hass, self._async_confirm_hints(), f"{DOMAIN} confirm notifications"
            )
        self._update_schedule()
        self._async_notify_changed()

    async def _async_confirm(
        self, state: ConnectorState, charge: Session | None, hinted: list[Session]
    ) -> bool:
        """Apply what the running charge confirms; True when something moved."""
        session = state.session
        if charge is not None:
            # A notification's id tag counts only if it names the charge's own transaction.
            tag = next(
                (
                    h.ref.thor_id_tag
                    for h in hinted
                    if h.ref.thor_transaction
                    and h.ref.thor_transaction == charge.ref.thor_transaction
                ),
                None,
            )
            if charge.ref.thor_id_tag is None and tag:
                charge = replace(charge, ref=replace(charge.ref, thor_id_tag=tag))
            if (
                session is not None
                and session.status is SessionStatus.STOPPING
                and same_session(session, charge)
                and any(h.status is SessionStatus.STOP_FAILED for h in hinted)
            ):
                charge = replace(charge, status=SessionStatus.STOP_FAILED)
            return self._merge(state, charge)
        if session is None or not session.status.is_active:
            return False
        if session.status in _PENDING_START:
            refused = any(
                h.status is SessionStatus.START_FAILED
                and h.ref.thor_id_tag == session.ref.thor_id_tag
                for h in hinted
            )
            return refused and self._merge(
                state, replace(session, status=SessionStatus.START_FAILED)
            )
        # Nothing runs any more: the cloud's record of the charge, or the notification that
        # names its transaction, tells the final energy.
        final = await self._async_fetch(session)
        if final.energy_wh is None:
            keys = session_keys(session)
            ended = [h for h in hinted if keys and session_keys(h) == keys and h.energy_wh]
            if ended:
                final = replace(final, energy_wh=ended[-1].energy_wh)
        return self._merge(state, final)

    # Merging

    def _show(self, state: ConnectorState, session: Session | None) -> None:
        """Make `session` the connector's, for its entities and the polling schedule."""
        state.session = session
        connector_id = state.connector.id
        if session is not None and session.status.is_active:
            self._active.add(connector_id)
        else:
            self._active.discard(connector_id)
        self._changed.add(connector_id)

    def _merge(self, state: ConnectorState, incoming: Session) -> bool:
        """Fold a report into the connector's session; True when the status moved.

        A report about another session replaces the connector's only if that session is new:
        one that ended or was replaced never comes back, and an older one never replaces a
        newer one, however the report got here (late, duplicated, or replayed).
        """
        if incoming.meter_wh is not None:
            self._take_meter(state, incoming.meter_wh)
        current = state.session
        incoming = self._plausible(state, incoming)
        if current is None or not same_session(current, incoming):
            if self._store.is_past(session_keys(incoming)):
                return False
            if current is not None and (
                (current.status.is_active and not incoming.status.is_active)
                or started_before(incoming, current)
            ):
                return False
            if current is not None:
                self._store.retire(session_keys(current))
            self._store.forget_announced(state.connector.id)
            merged = incoming
            before = None
        else:
            merged = combine(current, incoming)
            before = current.status
        now = dt_util.utcnow()
        if merged.status is SessionStatus.STARTED and merged.started_at is None:
            merged = replace(merged, started_at=now)
        if merged.started_at is not None and merged.started_at > now:
            merged = replace(merged, started_at=now)  # the cloud's clock runs ahead
        if not merged.status.is_active:
            merged = replace(merged, power_w=0.0, current_a=0.0)
            if merged.ended_at is None and merged.status is SessionStatus.ENDED:
                merged = replace(merged, ended_at=now)
        self._show(state, merged)
        self._store.save_session(state.connector.id, merged)
        if not merged.status.is_active:
            self._store.retire(session_keys(merged))
        self._announce(state, incoming, merged)
        if merged.status is before:
            return False
        self._async_resume_intent(state.connector.id)
        return True

    def _plausible(self, state: ConnectorState, incoming: Session) -> Session:
        """The report without an energy the connector cannot have delivered.

        Below zero, or more than its rating allows since the session started: a bad meter,
        a unit mix-up or a forgery, and the session's energy must never jump with it.
        """
        energy = incoming.energy_wh
        if energy is None:
            return incoming
        current = state.session
        started = incoming.started_at or (
            current.started_at if current and same_session(current, incoming) else None
        )
        elapsed = dt_util.utcnow() - started if started else timedelta(0)
        hours = (max(elapsed, timedelta(0)) + _ENERGY_MARGIN).total_seconds() / 3600
        rating_kw = state.connector.max_power_kw or _DEFAULT_RATING_KW
        if 0 <= energy <= rating_kw * 1000 * hours * _ENERGY_FACTOR:
            return incoming
        _LOGGER.warning(
            "Ignored an energy of %s Wh for session %s: not possible on connector %s",
            energy,
            incoming.id,
            state.connector.id,
        )
        return replace(incoming, energy_wh=None)

    def _announce(self, state: ConnectorState, incoming: Session, session: Session) -> None:
        """Fire the session's started and ended events, each once, whatever order reports came in.

        What was fired is stored with the session, so a restart does not fire it again.
        """
        connector_id = state.connector.id
        announced = self._store.announced(connector_id)
        if "started" not in announced and charged(incoming, session):
            self._store.announce(connector_id, "started")
            self.hass.bus.async_fire(EVENT_SESSION_STARTED, self._event_data(state, session))
        if "ended" not in announced and not session.status.is_active:
            self._store.announce(connector_id, "ended")
            self._cancel_deadline(connector_id)
            data = self._event_data(state, session)
            energy = session.energy_wh
            duration = (
                (session.ended_at - session.started_at).total_seconds()
                if session.ended_at and session.started_at
                else None
            )
            data |= {
                "energy_kwh": None if energy is None else round(energy / 1000, 3),
                "duration_s": duration,
                "cost": None if session.cost is None else session.cost.amount,
                "currency": None if session.cost is None else session.cost.currency,
                "reason": session.status.value,
            }
            self.hass.bus.async_fire(EVENT_SESSION_ENDED, data)

    def _event_data(self, state: ConnectorState, session: Session) -> dict[str, object]:
        station = self.data.stations.get(state.connector.station_id)
        return {
            "config_entry_id": self.config_entry.entry_id,
            "station_id": state.connector.station_id,
            "station": station.name if station else None,
            "connector_id": state.connector.id,
            "connector": state.connector.label,
            "session_id": session.id,
        }

    # The meter register

    def _take_meter(self, state: ConnectorState, reading: float) -> None:
        first = state.meter.wh is None
        if not state.meter.update(reading):
            return
        connector_id = state.connector.id
        self._store.save_meter(connector_id, reading)
        self._changed.add(connector_id)
        if first:
            for listener in list(self._meter_listeners):
                listener(connector_id)

    @callback
    def async_add_meter_listener(self, listener: Callable[[str], None]) -> CALLBACK_TYPE:
        """Call `listener` with a connector's id when its first register reading arrives."""
        self._meter_listeners.append(listener)
        return partial(self._meter_listeners.remove, listener)

    # Reconciliation

    async def _async_reconcile(self, active: list[Session]) -> bool:
        """Fold the cloud's list of active sessions in; True when it showed a missed change."""
        moved = False
        listed: set[str] = set()
        for session in active:
            state = self.data.connectors.get(session.connector_id)
            if state is None:
                if session.station_id not in self._hidden_stations:
                    self._async_relist_stations()
                continue
            listed.add(session.connector_id)
            moved |= self._merge(state, session)
        for connector_id in self._active - listed:
            state = self.data.connectors[connector_id]
            known = state.session
            if known is None or known.status is SessionStatus.REQUESTED:
                continue
            # It left the active list: ask once what became of it.
            moved |= self._merge(state, await self._async_fetch(known))
        return moved

    async def _async_fetch(self, session: Session) -> Session:
        """The cloud's view of a session; one it forgot did not go on."""
        fetched = await self.client.async_get_session(session)
        if fetched is not None:
            return fetched
        final = (
            SessionStatus.START_FAILED if session.status in _PENDING_START else SessionStatus.ENDED
        )
        return replace(session, status=final)

    @callback
    def _schedule_deadline(self, connector_id: str, delay: timedelta) -> None:
        self._cancel_deadline(connector_id)
        self._deadlines[connector_id] = async_call_later(
            self.hass,
            delay,
            HassJob(partial(self._async_deadline, connector_id), cancel_on_shutdown=True),
        )

    def _cancel_deadline(self, connector_id: str) -> None:
        if cancel := self._deadlines.pop(connector_id, None):
            cancel()

    async def _async_deadline(self, connector_id: str, _now: datetime) -> None:
        """No webhook confirmed a command in time: read the truth once and correct it."""
        self._deadlines.pop(connector_id, None)
        state = self.data.connectors.get(connector_id)
        if state is None or (session := state.session) is None:
            return
        if session.status not in (*_PENDING_START, SessionStatus.STOPPING):
            return
        try:
            fetched = await self._async_fetch(session)
        except CpmsError as err:
            _LOGGER.warning("Checking session %s failed: %s", session.id, err)
            return
        if self._merge(state, fetched):
            _LOGGER.warning("Session %s moved to %s without a webhook", session.id, fetched.status)
            self._raise_webhook_issue()
        self._update_schedule()
        self._async_notify_changed()

    # Polling schedule and the repair issue

    def _update_schedule(self) -> None:
        """Poll ever less often until push is confirmed; then only a rare safety refresh."""
        if not self._store.webhooks_confirmed:
            step = min(self._unconfirmed_reads, len(UNCONFIRMED_REFRESHES)) - 1
            interval: timedelta | None = UNCONFIRMED_REFRESHES[max(step, 0)]
        elif self._active:
            interval = self.safety_refresh
        else:
            interval = None
        if interval != self.update_interval:
            self.update_interval = interval
            if interval is None:
                self._async_unsub_refresh()
            else:
                self._schedule_refresh()

    @property
    def _issue_id(self) -> str:
        return f"{ISSUE_WEBHOOKS_NOT_ARRIVING}_{self.config_entry.entry_id}"

    def _raise_access_issue(self, err: CpmsAccessDeniedError) -> None:
        """Tell what to change in the provider's dashboard: the key itself is fine.

        Commands refused while reads work have an issue of their own, which only a command
        that goes through removes; the others go with the next successful read.
        """
        kind = ISSUE_COMMANDS_REFUSED if err.code == "APIKeyNotFound" else ISSUE_ACCESS_DENIED
        self._issues.add(kind)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{kind}_{self.config_entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ACCESS_ISSUE_KEYS.get(err.code, ISSUE_ACCESS_DENIED),
            translation_placeholders={"title": self.config_entry.title, "error": str(err)},
        )

    def _delete_issue(self, kind: str) -> None:
        if kind in self._issues:
            self._issues.discard(kind)
            ir.async_delete_issue(self.hass, DOMAIN, f"{kind}_{self.config_entry.entry_id}")

    @callback
    def async_handle_refusal(self, reason: Refusal) -> None:
        """Count a refused delivery: the repair issue's fix says how many, and why."""
        self.deliveries.refuse(reason)

    def _raise_webhook_issue(self) -> None:
        self._issue_may_exist = True
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            data={"entry_id": self.config_entry.entry_id},
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_WEBHOOKS_NOT_ARRIVING,
            # Not the URL: for Thor its webhook id is the only credential. The fix shows it.
            translation_placeholders={"title": self.config_entry.title},
        )

    @callback
    def async_expect_webhooks(self, webhook_url: str) -> None:
        """The user set the webhook up again: read often until a webhook proves it works."""
        self.webhook_url = webhook_url
        self._store.expect_webhooks()
        self._unconfirmed_reads = 0  # from a read a minute later again, then backing off
        self._update_schedule()

    # Commands

    async def _async_command[T](
        self, state: ConnectorState, call: Awaitable[T], pending: Session | None = None
    ) -> T:
        """Send a command, showing `pending` meanwhile; a failure is a translated error.

        On failure the connector shows its previous session again, unless the cloud reported
        something else in the meantime.
        """
        previous = state.session
        if pending is not None:
            self._show(state, pending)
            self._async_notify_changed()
        try:
            result = await call
        except CpmsError as err:
            shown = state.session
            if (
                pending is not None
                and shown is not None
                and (shown.id, shown.status) == (pending.id, pending.status)
            ):
                self._show(state, previous)
                self._async_notify_changed()
            if isinstance(err, CpmsAuthenticationError):
                self.config_entry.async_start_reauth(self.hass)
            elif isinstance(err, CpmsAccessDeniedError):
                self._raise_access_issue(err)
            raise error_from_cpms(err) from err
        self._delete_issue(ISSUE_COMMANDS_REFUSED)
        return result

    def wanted(self, connector_id: str) -> bool | None:
        """The last command on the connector while it is not carried out yet, else None."""
        intent = self._intents.get(connector_id)
        return None if intent is None else intent.on

    async def async_start(
        self, connector_id: str, targets: Mapping[str, float] | None = None
    ) -> None:
        """Want a session, ended by the cloud at `targets` (energy_kwh, time_min, cost).

        The switch shows on until the cloud says otherwise.
        """
        state = self.data.connectors[connector_id]
        station = self.data.stations.get(state.connector.station_id)
        if station is not None and station.online is False:
            raise translated_error("station_offline")
        await self._async_command_intent(connector_id, _Intent(on=True, targets=targets))

    async def async_stop(self, connector_id: str) -> None:
        """Want the connector not charging; the switch shows off until the cloud answers."""
        await self._async_command_intent(connector_id, _Intent(on=False))

    async def _async_command_intent(self, connector_id: str, intent: _Intent) -> None:
        """Record the command; the last one wins, whatever is still on its way.

        Commands on a connector are carried out one at a time. One that cannot be sent yet (a
        stop before the vehicle took the start, a start while a stop completes) waits for the
        cloud's next report about the session, and is then sent; a newer command replaces it.
        """
        self._intents[connector_id] = intent
        self._changed.add(connector_id)
        self._async_notify_changed()
        try:
            await self._async_pursue(connector_id)
        except HomeAssistantError:
            if self._intents.get(connector_id) is intent:
                del self._intents[connector_id]
                self._changed.add(connector_id)
                self._async_notify_changed()
            raise

    async def _async_pursue(self, connector_id: str) -> None:
        """Take the one step toward the wanted state that the session allows now."""
        async with self._command_locks.setdefault(connector_id, asyncio.Lock()):
            while (intent := self._intents.get(connector_id)) is not None:
                state = self.data.connectors.get(connector_id)
                if state is None:
                    return
                session = state.session
                if intent.on:
                    if session is None or not session.status.is_active:
                        await self._async_send_start(state, intent.targets)
                    elif session.status is SessionStatus.STOPPING:
                        return  # a new session once this one has ended
                elif session is not None and session.status.is_active:
                    if session.status in _PENDING_START or session.status is SessionStatus.STOPPING:
                        return  # the cloud stops only a started session: once it has started
                    await self._async_send_stop(state, session)
                if self._intents.get(connector_id) is intent:
                    del self._intents[connector_id]
                    self._changed.add(connector_id)
                    self._async_notify_changed()
                    return

    @callback
    def _async_resume_intent(self, connector_id: str) -> None:
        """The session moved: a command waiting for that may go now."""
        if connector_id not in self._intents:
            return
        self.config_entry.async_create_task(
            self.hass, self._async_resume(connector_id), f"{DOMAIN} command {connector_id}"
        )

    async def _async_resume(self, connector_id: str) -> None:
        try:
            await self._async_pursue(connector_id)
        except HomeAssistantError as err:
            # Nobody waits for this answer: the entities show the cloud's state.
            _LOGGER.warning("A waiting command on %s failed: %s", connector_id, err)
            self._intents.pop(connector_id, None)
            self._changed.add(connector_id)
            self._async_notify_changed()

    async def _async_send_start(
        self, state: ConnectorState, targets: Mapping[str, float] | None
    ) -> None:
        connector_id = state.connector.id
        requested = Session(
            id="",
            station_id=state.connector.station_id,
            connector_id=connector_id,
            status=SessionStatus.REQUESTED,
        )
        if targets:
            # Only asked for where the capabilities say the client takes targets.
            client = cast("SessionTargetClient", self.client)
            start = client.async_start_session(state.connector, **targets)
        else:
            start = self.client.async_start_session(state.connector)
        started = await self._async_command(state, start, requested)
        if state.session is not None and not state.session.id:
            state.session = None
        self._merge(state, started)
        self._schedule_deadline(connector_id, START_DEADLINE)
        self._update_schedule()
        self._async_notify_changed()

    async def _async_send_stop(self, state: ConnectorState, session: Session) -> None:
        connector_id = state.connector.id
        if not session_keys(session):
            # No id of the cloud's yet (its start notification is late or lost): read it first,
            # so that the stop names the right transaction and the end is found later.
            try:
                self._merge(state, await self._async_fetch(session))
            except CpmsError as err:
                raise error_from_cpms(err) from err
            session = state.session or session
            if not session.status.is_active:
                return
        try:
            await self._async_command(
                state,
                self.client.async_stop_session(session, state.connector),
                replace(session, status=SessionStatus.STOPPING),
            )
        except HomeAssistantError as err:
            cause = err.__cause__
            if not (isinstance(cause, CpmsRejectedError) and cause.code == "NotInTransaction"):
                raise
            # Nothing runs there, says the cloud: read what became of the session.
            await self._async_after_not_in_transaction(state, session, err)
            return
        if state.session is not None:
            self._store.save_session(connector_id, state.session)
        self._schedule_deadline(connector_id, STOP_DEADLINE)

    async def _async_after_not_in_transaction(
        self, state: ConnectorState, session: Session, err: HomeAssistantError
    ) -> None:
        """Show the session as the cloud has it, never as charging again by mistake."""
        try:
            fetched = await self._async_fetch(session)
        except CpmsError as read_err:
            _LOGGER.warning("Reading session %s after its stop failed: %s", session.id, read_err)
            raise err from read_err
        self._merge(state, fetched)
        self._update_schedule()
        self._async_notify_changed()
        if fetched.status.is_active:
            raise err  # the cloud lists it as running all the same

    async def async_set_current_limit(self, connector_id: str, amps: float) -> None:
        """Ask for a limit in whole amperes; the pacer decides when it reaches the cloud."""
        state = self.data.connectors[connector_id]
        amps = float(math.floor(amps))
        pacer = self._pacers.get(connector_id)
        if pacer is None:
            pacer = self._pacers[connector_id] = LimitPacer(
                self.hass,
                partial(self._async_send_current_limit, state),
                partial(self._async_limit_settled, state),
            )
        try:
            if self._limit_in_force(state, amps):
                pacer.cancel()
            else:
                await pacer.async_request(amps)
        finally:
            self._async_limit_settled(state)

    @callback
    def _async_limit_settled(self, state: ConnectorState) -> None:
        """Show the limit waiting to be sent, if any, else the one in force."""
        pacer = self._pacers[state.connector.id]
        if state.requested_limit != pacer.pending:
            state.requested_limit = pacer.pending
            self._changed.add(state.connector.id)
        self._async_notify_changed()

    def _limit_in_force(self, state: ConnectorState, amps: float) -> bool:
        """Whether the connector applies `amps` already: set for it, or for its session."""
        if state.current_limit != amps:
            return False
        sent_for = self._limit_sessions.get(state.connector.id)
        session = state.session
        running = session.id if session and session.status.is_active else None
        return sent_for is None or sent_for == running

    async def _async_send_current_limit(self, state: ConnectorState, amps: float) -> None:
        """Limit the connector's session, or its default when nothing charges."""
        # The limit exists only where the capabilities say the client can do this.
        client = cast("CurrentLimitClient", self.client)
        session = state.session if state.session and state.session.status.is_active else None
        await self._async_command(
            state, client.async_set_current_limit(state.connector, session, amps)
        )
        connector_id = state.connector.id
        self._previous_limits[connector_id] = state.current_limit
        self._limit_sessions[connector_id] = session.id if session else None
        self._set_current_limit(state, amps)

    def _revert_current_limit(self, connector_id: str) -> None:
        """The station refused the limit: show the one it still applies."""
        if connector_id not in self._previous_limits:
            return
        previous = self._previous_limits.pop(connector_id)
        if state := self.data.connectors.get(connector_id):
            self._set_current_limit(state, previous)

    def _set_current_limit(self, state: ConnectorState, amps: float | None) -> None:
        state.current_limit = amps
        self._store.save_current_limit(state.connector.id, amps)
        self._changed.add(state.connector.id)

    async def async_shutdown(self) -> None:
        """On unload: cancel deadline checks and write the sessions now, not in a moment."""
        await super().async_shutdown()
        for pacer in self._pacers.values():
            pacer.cancel()
        for connector_id in list(self._deadlines):
            self._cancel_deadline(connector_id)
        await self._store.async_save()
