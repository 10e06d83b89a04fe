"""The account's state: stations, one session per connector, push and reconciliation."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
import logging
import math
from typing import cast

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    CommandResultEvent,
    ConnectorStatusEvent,
    CpmsAuthenticationError,
    CpmsClient,
    CpmsError,
    CurrentLimitClient,
    Event,
    MeterValuesEvent,
    Session,
    SessionEvent,
    SessionRef,
    SessionStatus,
    SessionTargetClient,
    Station,
    StationOnlineEvent,
    WebhookDecoder,
)
from .const import (
    CONF_SAFETY_REFRESH,
    DEFAULT_SAFETY_REFRESH_MINUTES,
    DOMAIN,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
    ISSUE_WEBHOOKS_NOT_ARRIVING,
    START_DEADLINE,
    STATION_RELIST_COOLDOWN,
    STOP_DEADLINE,
    UNCONFIRMED_REFRESH,
)
from .data import ConnectorState, CpmsConfigEntry, CpmsData
from .errors import error_from_cpms, translated_error
from .limit import LimitPacer
from .merge import RANK, combine, same_session
from .meter import MeterRegister
from .providers import PROVIDER_NAMES
from .store import SessionStore, StoredState

_LOGGER = logging.getLogger(__name__)


_PENDING_START = frozenset({SessionStatus.REQUESTED, SessionStatus.CREATED})
_SEEN_EVENTS_KEPT = 1024


class CpmsCoordinator(DataUpdateCoordinator[CpmsData]):
    """Holds one normalized state per connector, fed by webhooks and rare reconciliation."""

    config_entry: CpmsConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CpmsConfigEntry,
        client: CpmsClient,
        store: SessionStore,
    ) -> None:
        """Start in the state of an account whose webhooks are not yet confirmed."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=UNCONFIRMED_REFRESH,
        )
        self.client = client
        self._store = store
        self._stored = StoredState()
        self._stations_listed = False
        self._refreshed_once = False
        self._last_relist: datetime | None = None
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._deadlines: dict[str, CALLBACK_TYPE] = {}
        self._previous_limits: dict[str, float | None] = {}
        # The session a limit was sent for; None for the connector's default.
        self._limit_sessions: dict[str, str | None] = {}
        self._pacers: dict[str, LimitPacer] = {}
        self.meters: dict[str, MeterRegister] = {}
        self._meter_listeners: list[Callable[[str], None]] = []
        self.webhook_url: str | None = None
        self.station_device_ids: dict[str, str] = {}
        self.data = CpmsData()

    @property
    def webhooks_confirmed(self) -> bool:
        """Whether a verified webhook ever arrived for this account."""
        return self._stored.webhooks_confirmed

    @property
    def safety_refresh(self) -> timedelta:
        """How often active sessions are re-read while webhooks are healthy."""
        minutes = self.config_entry.options.get(CONF_SAFETY_REFRESH, DEFAULT_SAFETY_REFRESH_MINUTES)
        return timedelta(minutes=minutes)

    async def _async_setup(self) -> None:
        """Restore the sessions that a restart would otherwise forget."""
        self._stored = await self._store.async_load()
        self.meters = {cid: MeterRegister(wh=wh) for cid, wh in self._stored.meters.items()}

    async def _async_update_data(self) -> CpmsData:
        """List stations once, then reconcile active sessions with the cloud."""
        try:
            if not self._stations_listed:
                self._set_stations(await self.client.async_get_stations())
            active = await self.client.async_get_active_sessions()
            moved = await self._async_reconcile(active)
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
        # At start-up the cloud may have moved while Home Assistant was down; later it should not.
        if moved and self._refreshed_once:
            self._raise_webhook_issue()
        self._refreshed_once = True
        self._update_schedule()
        return self.data

    # Stations and connectors

    def _set_stations(self, stations: Iterable[Station]) -> None:
        """Replace the station list, keeping the session of every known connector."""
        old = self.data.connectors
        self.data.stations = {station.id: station for station in stations}
        self.data.connectors = {}
        for station in self.data.stations.values():
            for connector in station.connectors:
                previous = old.get(connector.id)
                session = previous.session if previous else self._stored.sessions.get(connector.id)
                self.data.connectors[connector.id] = ConnectorState(
                    connector=connector, session=session
                )
        self._stations_listed = True
        self._async_sync_devices()

    def _async_sync_devices(self) -> None:
        """Register the account and its stations, and remove devices the account lost."""
        registry = dr.async_get(self.hass)
        entry = self.config_entry
        account = registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, entry.entry_id)},
            entry_type=dr.DeviceEntryType.SERVICE,
            manufacturer=PROVIDER_NAMES[self.client.provider],
            name=entry.title,
        )
        for station in self.data.stations.values():
            device = registry.async_get_or_create(
                config_entry_id=entry.entry_id,
                identifiers={(DOMAIN, station.id)},
                manufacturer=station.vendor,
                model=station.model,
                name=station.name,
                serial_number=station.serial,
                sw_version=station.firmware,
                via_device_id=account.id,
            )
            self.station_device_ids[station.id] = device.id
        known = {entry.entry_id, *self.data.stations, *self.data.connectors}
        # Children first: removing a station removes its connectors with it.
        for stale in (
            *dr.async_child_entries_for_config_entry(registry, entry.entry_id),
            *dr.async_entries_for_config_entry(registry, entry.entry_id),
        ):
            if not any(identifier in known for _domain, identifier in stale.identifiers):
                registry.async_remove_device(stale.id)

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
        self.async_update_listeners()

    def station_ids(self) -> Collection[str]:
        """Stations on the account now; Thor's decoder refuses any other."""
        return self.data.stations.keys()

    # Push

    @callback
    def async_handle_webhook(
        self, decoder: WebhookDecoder, body: bytes, headers: Mapping[str, str]
    ) -> None:
        """Apply a delivery; the decoder raises WebhookError before anything changes."""
        events = decoder.decode(body, headers)
        self.data.last_webhook = dt_util.utcnow()
        if not self._stored.webhooks_confirmed:
            self._stored.webhooks_confirmed = True
            self._store.async_schedule_save(self._stored)
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        for event in events:
            if event.event_id in self._seen_events:
                continue
            self._seen_events[event.event_id] = None
            if len(self._seen_events) > _SEEN_EVENTS_KEPT:
                self._seen_events.popitem(last=False)
            self._apply_event(event)
        self._update_schedule()
        # Not async_set_updated_data: that would postpone the safety refresh at every webhook,
        # and a steady meter stream of one session must not hide a lost webhook of another.
        self.last_update_success = True
        self.async_update_listeners()

    def _apply_event(self, event: Event) -> None:
        if event.station_id not in self.data.stations:
            self._async_relist_stations()
            return
        match event:
            case SessionEvent(session=session):
                if state := self.data.connectors.get(session.connector_id):
                    self._merge(state, session)
                else:
                    self._async_relist_stations()
            case MeterValuesEvent():
                self._apply_meter_values(event)
            case ConnectorStatusEvent(connector_id=connector_id, status=status):
                if state := self.data.connectors.get(connector_id):
                    state.connector = replace(state.connector, status=status)
            case StationOnlineEvent(online=online):
                station = self.data.stations[event.station_id]
                self.data.stations[event.station_id] = replace(station, online=online)
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
        state = self.data.connectors.get(event.connector_id)
        if state is None:
            return
        session = state.session
        if session is None or not session.status.is_active:
            # Meter values prove a transaction runs, even if its start webhook was lost.
            session = Session(
                id=event.ref.thor_id_tag or event.event_id,
                station_id=event.station_id,
                connector_id=event.connector_id,
                status=SessionStatus.STARTED,
                ref=event.ref,
            )
        self._merge(
            state,
            replace(
                session,
                status=max(session.status, SessionStatus.STARTED, key=RANK.__getitem__),
                energy_wh=event.energy_wh,
                meter_wh=event.meter_wh,
                power_w=event.power_w,
                current_a=event.current_a,
                soc=event.soc,
            ),
        )

    # Merging

    def _merge(self, state: ConnectorState, incoming: Session) -> bool:
        """Fold a report into the connector's session; True when the status moved."""
        if incoming.meter_wh is not None:
            self._take_meter(state.connector.id, incoming.meter_wh)
        current = state.session
        if current is None or not same_session(current, incoming):
            if current is not None and current.status.is_active and not incoming.status.is_active:
                return False  # a late report about an older session
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
        state.session = merged
        self._stored.sessions[state.connector.id] = merged
        self._store.async_schedule_save(self._stored)
        if merged.status is before:
            return False
        self._on_status_change(state, before, merged)
        return True

    def _on_status_change(
        self, state: ConnectorState, before: SessionStatus | None, session: Session
    ) -> None:
        started = RANK[SessionStatus.STARTED]
        if session.status is SessionStatus.STARTED and (before is None or RANK[before] < started):
            self.hass.bus.async_fire(EVENT_SESSION_STARTED, self._event_data(state, session))
        if not session.status.is_active and (before is None or before.is_active):
            self._cancel_deadline(state.connector.id)
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

    def _take_meter(self, connector_id: str, reading: float) -> None:
        register = self.meters.get(connector_id)
        if register is None:
            register = self.meters[connector_id] = MeterRegister()
        first = register.wh is None
        if not register.update(reading):
            return
        self._stored.meters[connector_id] = reading
        self._store.async_schedule_save(self._stored)
        if first:
            for listener in self._meter_listeners:
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
                self._async_relist_stations()
                continue
            listed.add(session.connector_id)
            moved |= self._merge(state, session)
        for connector_id, state in self.data.connectors.items():
            known = state.session
            if (
                connector_id in listed
                or known is None
                or not known.status.is_active
                or known.status is SessionStatus.REQUESTED
            ):
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
        self.async_update_listeners()

    # Polling schedule and the repair issue

    def _update_schedule(self) -> None:
        """Poll every minute until push is confirmed; then only a rare safety refresh."""
        if not self._stored.webhooks_confirmed:
            interval: timedelta | None = UNCONFIRMED_REFRESH
        elif any(
            s.session is not None and s.session.status.is_active
            for s in self.data.connectors.values()
        ):
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

    def _raise_webhook_issue(self) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_WEBHOOKS_NOT_ARRIVING,
            translation_placeholders={
                "title": self.config_entry.title,
                "url": self.webhook_url or "-",
            },
        )

    # Commands

    def _state(self, connector_id: str) -> ConnectorState:
        return self.data.connectors[connector_id]

    async def async_start(
        self, connector_id: str, targets: Mapping[str, float] | None = None
    ) -> None:
        """Start a session, ended by the cloud at `targets` (energy_kwh, time_min, cost).

        The switch shows on until the cloud says otherwise.
        """
        state = self._state(connector_id)
        station = self.data.stations.get(state.connector.station_id)
        if station is not None and station.online is False:
            raise translated_error("station_offline")
        previous = state.session
        if previous is not None and previous.status.is_active:
            return
        state.session = Session(
            id="",
            station_id=state.connector.station_id,
            connector_id=connector_id,
            status=SessionStatus.REQUESTED,
        )
        self.async_update_listeners()
        try:
            if targets:
                # Only called where the capabilities say the client takes targets.
                client = cast("SessionTargetClient", self.client)
                started = await client.async_start_session(state.connector, **targets)
            else:
                started = await self.client.async_start_session(state.connector)
        except CpmsError as err:
            if state.session is not None and not state.session.id:
                state.session = previous
            self.async_update_listeners()
            self._on_command_error(err)
            raise error_from_cpms(err) from err
        if state.session is not None and not state.session.id:
            state.session = None
        self._merge(state, started)
        self._schedule_deadline(connector_id, START_DEADLINE)
        self._update_schedule()
        self.async_update_listeners()

    async def async_stop(self, connector_id: str) -> None:
        """Stop the connector's session; the switch shows off until the cloud answers."""
        state = self._state(connector_id)
        session = state.session
        if (
            session is None
            or not session.status.is_active
            or session.status is SessionStatus.STOPPING
        ):
            return
        if session.ref == SessionRef() and session.status is SessionStatus.REQUESTED:
            raise translated_error("start_pending")
        state.session = replace(session, status=SessionStatus.STOPPING)
        self.async_update_listeners()
        try:
            await self.client.async_stop_session(session, state.connector)
        except CpmsError as err:
            if state.session is not None and state.session.status is SessionStatus.STOPPING:
                state.session = session
            self.async_update_listeners()
            self._on_command_error(err)
            raise error_from_cpms(err) from err
        self._stored.sessions[connector_id] = state.session
        self._store.async_schedule_save(self._stored)
        self._schedule_deadline(connector_id, STOP_DEADLINE)

    def current_limit(self, connector_id: str) -> float | None:
        """The limit waiting to be sent, else the one last set, unless the station refused it."""
        pacer = self._pacers.get(connector_id)
        if pacer is not None and pacer.pending is not None:
            return pacer.pending
        return self._stored.current_limits.get(connector_id)

    async def async_set_current_limit(self, connector_id: str, amps: float) -> None:
        """Ask for a limit in whole amperes; the pacer decides when it reaches the cloud."""
        amps = float(math.floor(amps))
        pacer = self._pacers.get(connector_id)
        if pacer is None:
            pacer = self._pacers[connector_id] = LimitPacer(
                self.hass,
                partial(self._async_send_current_limit, connector_id),
                self.async_update_listeners,
            )
        if self._limit_in_force(connector_id, amps):
            pacer.cancel()
        else:
            await pacer.async_request(amps)
        self.async_update_listeners()

    def _limit_in_force(self, connector_id: str, amps: float) -> bool:
        """Whether the connector applies `amps` already: set for it, or for its session."""
        if self._stored.current_limits.get(connector_id) != amps:
            return False
        sent_for = self._limit_sessions.get(connector_id)
        session = self._state(connector_id).session
        running = session.id if session and session.status.is_active else None
        return sent_for is None or sent_for == running

    async def _async_send_current_limit(self, connector_id: str, amps: float) -> None:
        """Limit the connector's session, or its default when nothing charges."""
        state = self._state(connector_id)
        # The limit exists only where the capabilities say the client can do this.
        client = cast("CurrentLimitClient", self.client)
        session = state.session if state.session and state.session.status.is_active else None
        try:
            await client.async_set_current_limit(state.connector, session, amps)
        except CpmsError as err:
            self._on_command_error(err)
            raise error_from_cpms(err) from err
        limits = self._stored.current_limits
        self._previous_limits[connector_id] = limits.get(connector_id)
        limits[connector_id] = amps
        self._limit_sessions[connector_id] = session.id if session else None
        self._store.async_schedule_save(self._stored)
        self.async_update_listeners()

    def _revert_current_limit(self, connector_id: str) -> None:
        """The station refused the limit: show the one it still applies."""
        if connector_id not in self._previous_limits:
            return
        previous = self._previous_limits.pop(connector_id)
        if previous is None:
            self._stored.current_limits.pop(connector_id, None)
        else:
            self._stored.current_limits[connector_id] = previous
        self._store.async_schedule_save(self._stored)

    def _on_command_error(self, err: CpmsError) -> None:
        if isinstance(err, CpmsAuthenticationError):
            self.config_entry.async_start_reauth(self.hass)

    async def async_shutdown(self) -> None:
        """On unload: cancel deadline checks and write the sessions now, not in a moment."""
        await super().async_shutdown()
        for pacer in self._pacers.values():
            pacer.cancel()
        for connector_id in list(self._deadlines):
            self._cancel_deadline(connector_id)
        await self._store.async_save(self._stored)
