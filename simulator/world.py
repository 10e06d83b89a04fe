"""Stations, connectors, users and sessions of both clouds, and how they change over time.

The provider modules check requests in their own wire terms and then call into the world. The
world moves sessions along on the simulated clock and reports each change as a `WorldEvent`; the
event kinds are named after eDRV's webhook types, the richer of the two vocabularies.

Connector states follow OCPP 1.6. A vehicle plugged in without a session shows Preparing for as
long as it stays plugged in (ConnectionTimeOut only cancels a start that waits for a cable); empty,
the connector is Available. A start shows Preparing, then Charging; a stop Finishing, then
Available on unplug. Unplugging during a charge ends the session at once (EVDisconnected).

Energy accrues at the connector's rating, lowered by any accepted power limit, until the vehicle's
battery is full; the connector then shows SuspendedEV and power drops to 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import SimulatorError
from .ids import IdFactory

if TYPE_CHECKING:
    from collections.abc import Callable

    from .clock import SimClock
    from .config import SimulatorConfig
    from .layout import Layout

VOLTAGE_V = 230.0
PHASES = 3
# (rated power W, max current A) by connector position, repeating.
CONNECTOR_RATINGS = ((11_000, 16), (22_000, 32))
BATTERY_WH = 60_000.0
SOC_START = 30.0
CHARGEABLE_WH = BATTERY_WH * (100 - SOC_START) / 100
# IEC 61851 lets no station charge below 6 A, so lower limits are rejected.
MIN_LIMIT_W = 6 * VOLTAGE_V * PHASES
DAY_S = 86_400.0


class Provider(StrEnum):
    """The cloud a station belongs to."""

    EDRV = "edrv"
    THOR = "thor"


class Phase(StrEnum):
    """Where a session is in its life."""

    CREATED = "created"
    STARTED = "started"
    ENDED = "ended"
    CANCELLED = "cancelled"
    FAILED = "failed"


class EventKind(StrEnum):
    """What changed; values are the eDRV webhook types."""

    SESSION_CREATED = "session.created"
    SESSION_STARTED = "session.started"
    SESSION_UPDATED = "session.updated"
    SESSION_ENDED = "session.ended"
    SESSION_CANCELLED = "session.cancelled"
    SESSION_START_FAILURE = "session.start_failure"
    SESSION_STOP_FAILURE = "session.stop_failure"
    STATION_ONLINE = "chargestation.online"
    STATION_OFFLINE = "chargestation.offline"
    CONNECTOR_STATUS = "chargestation.connector_status.updated"
    LIMIT_ACCEPTED = "chargestation.set_power_limit.accepted"
    LIMIT_REJECTED = "chargestation.set_power_limit.rejected"


@dataclass(slots=True, kw_only=True)
class User:
    """An eDRV user on whose behalf sessions run."""

    id: str
    firstname: str
    lastname: str
    email: str
    created_at: float


@dataclass(slots=True, kw_only=True, eq=False)
class Connector:
    """One plug; `id` is the eDRV connector _id or Thor's "<chargebox>_<n>"."""

    id: str
    number: int
    power_w: int
    max_amperage: int
    created_at: float
    plugged: bool
    register_wh: float
    status: str = "Available"
    status_since: float = 0.0
    session: Session | None = None
    default_limit_w: float | None = None


@dataclass(slots=True, kw_only=True, eq=False)
class Station:
    """An eDRV chargestation or a Thor chargebox."""

    provider: Provider
    id: str
    name: str
    serial: str
    index: int
    created_at: float
    last_connect_at: float
    connectors: list[Connector]
    online: bool = True
    last_disconnect_at: float | None = None

    def connector(self, number: int) -> Connector | None:
        """Return the connector at 1-based position `number`."""
        if 1 <= number <= len(self.connectors):
            return self.connectors[number - 1]
        return None


@dataclass(slots=True, kw_only=True, eq=False)
class Session:
    """A charging session; energy is derived from the base values and the clock."""

    id: str
    seq: int
    station: Station
    connector: Connector
    source: str
    user_id: str | None
    id_tag: str | None
    target: dict[str, float]
    created_at: float
    updated_at: float
    deadline: float
    phase: Phase = Phase.CREATED
    started_at: float | None = None
    stopped_at: float | None = None
    transaction_id: int | None = None
    meter_start_wh: float = 0.0
    stopping: bool = False
    limit_w: float | None = None
    energy_base_wh: float = 0.0
    period_base_s: float = 0.0
    base_time: float = 0.0
    power_w: float = 0.0

    @property
    def active(self) -> bool:
        """Whether the session still holds its connector."""
        return self.phase in {Phase.CREATED, Phase.STARTED}


@dataclass(slots=True, kw_only=True, eq=False)
class Action:
    """An eDRV power-limit command and the station's answer."""

    id: str
    station: Station
    connector: Connector
    session: Session | None
    unit: str
    limit: float
    limit_w: float
    created_at: float
    updated_at: float
    status: str = "APIRequested"


@dataclass(frozen=True, slots=True)
class WorldEvent:
    """A change the provider modules may turn into webhooks."""

    kind: EventKind
    station: Station
    session: Session | None = None
    action: Action | None = None


class World:
    """The state of both clouds and the rules that move it."""

    def __init__(
        self,
        config: SimulatorConfig,
        clock: SimClock,
        layout: Layout,
        emit: Callable[[WorldEvent], None],
    ) -> None:
        """Start with `layout`'s users and stations; `emit` receives every change."""
        self._config = config
        self._clock = clock
        self._layout = layout
        self._emit_event = emit
        self.ids = IdFactory(config.seed, "runtime")
        self.users = list(layout.users)
        self.stations = list(layout.stations)
        self.sessions: list[Session] = []
        self.actions: list[Action] = []
        self._next_transaction = IdFactory(config.seed, "transactions").number(1000, 9000)

    # Lookups

    def stations_of(self, provider: Provider) -> list[Station]:
        """Return the stations of one cloud, in creation order."""
        return [s for s in self.stations if s.provider is provider]

    def station(self, provider: Provider, station_id: str) -> Station | None:
        """Return a station by id."""
        return next((s for s in self.stations_of(provider) if s.id == station_id), None)

    def find_connector(self, provider: Provider, connector_id: str) -> Connector | None:
        """Return a connector by id."""
        for station in self.stations_of(provider):
            for connector in station.connectors:
                if connector.id == connector_id:
                    return connector
        return None

    def station_of(self, connector: Connector) -> Station:
        """Return the station holding `connector`."""
        return next(s for s in self.stations if connector in s.connectors)

    def session(self, provider: Provider, session_id: str) -> Session | None:
        """Return a session by id."""
        return next(
            (s for s in self.sessions if s.id == session_id and s.station.provider is provider),
            None,
        )

    def user(self, user_id: str) -> User | None:
        """Return an eDRV user by id."""
        return next((u for u in self.users if u.id == user_id), None)

    # Meters, derived from the session's base values and the clock

    def energy_wh(self, session: Session) -> float:
        """Return the session's energy so far."""
        if session.phase is not Phase.STARTED:
            return session.energy_base_wh
        gained = session.power_w * (self._clock.now - session.base_time) / 3600
        return min(session.energy_base_wh + gained, CHARGEABLE_WH)

    def period_s(self, session: Session) -> float:
        """Return the seconds during which the vehicle drew energy."""
        if session.phase is not Phase.STARTED or session.power_w <= 0:
            return session.period_base_s
        to_full = max(CHARGEABLE_WH - session.energy_base_wh, 0.0) * 3600 / session.power_w
        return session.period_base_s + min(self._clock.now - session.base_time, to_full)

    def power_now_w(self, session: Session) -> float:
        """Return the power drawn right now."""
        if session.phase is Phase.STARTED and self.energy_wh(session) < CHARGEABLE_WH:
            return session.power_w
        return 0.0

    def current_a(self, session: Session) -> float:
        """Return the current per phase right now."""
        return self.power_now_w(session) / (VOLTAGE_V * PHASES)

    def soc(self, session: Session) -> float:
        """Return the vehicle's state of charge in percent."""
        return SOC_START + self.energy_wh(session) / BATTERY_WH * 100

    def cost(self, session: Session) -> float:
        """Return the session's cost at the configured energy price."""
        return round(self.energy_wh(session) / 1000 * self._config.energy_price, 2)

    # Sessions

    def start(
        self,
        station: Station,
        connector: Connector,
        *,
        source: str = "api",
        user_id: str | None = None,
        id_tag: str | None = None,
        target: dict[str, float] | None = None,
    ) -> Session:
        """Create a session; it starts once a vehicle is plugged in, or times out."""
        now = self._clock.now
        session = Session(
            # Thor has no session id of its own; its charges are known by id_tag.
            id=id_tag if station.provider is Provider.THOR and id_tag else self.ids.object_id(),
            seq=len(self.sessions),
            station=station,
            connector=connector,
            source=source,
            user_id=user_id,
            id_tag=id_tag,
            target=target or {},
            created_at=now,
            updated_at=now,
            deadline=now + self._config.start_timeout_s,
        )
        self.sessions.append(session)
        connector.session = session
        self._emit(EventKind.SESSION_CREATED, station, session)
        self._set_status(station, connector, "Preparing")
        if source == "local":
            self._begin(session)
            return session
        # An offline station cannot answer, so its start fails after the usual delay.
        if connector.plugged or not station.online:
            self._clock.call_later(self._config.start_delay_s, lambda: self._begin(session))
        self._clock.call_later(self._config.start_timeout_s, lambda: self._time_out(session))
        return session

    def request_stop(self, session: Session, *, fail: bool) -> None:
        """Ask the station to stop; it answers after stop_delay_s."""
        session.stopping = True
        self._clock.call_later(
            self._config.stop_delay_s, lambda: self._finish_stop(session, fail=fail)
        )

    def request_limit(
        self, connector: Connector, session: Session | None, *, unit: str, limit: float
    ) -> Action:
        """Send a power limit for a session, or a connector default when `session` is None."""
        now = self._clock.now
        limit_w = limit * VOLTAGE_V * PHASES if unit == "current" else limit
        action = Action(
            id=self.ids.object_id(),
            station=self.station_of(connector),
            connector=connector,
            session=session,
            unit=unit,
            limit=limit,
            limit_w=limit_w,
            created_at=now,
            updated_at=now,
        )
        self.actions.append(action)
        self._clock.call_later(self._config.command_delay_s, lambda: self._answer_limit(action))
        return action

    def local_start(self, station: Station, number: int, id_tag: str) -> Session:
        """Start a session with an RFID card at the station, plugging the vehicle in if needed."""
        connector = self._connector(station, number)
        if not station.online:
            raise SimulatorError(f"station {station.id} is offline")
        if connector.session is not None:
            raise SimulatorError(f"connector {number} of {station.id} is busy")
        if not id_tag.strip():
            raise SimulatorError("id_tag must not be empty")
        connector.plugged = True
        user_id = None
        if station.provider is Provider.EDRV:
            # Someone other than the API's own user, as a driver at the station would be.
            user_id = self.users[-1].id
        return self.start(station, connector, source="local", user_id=user_id, id_tag=id_tag)

    # Station and vehicle

    def plug(self, station: Station, number: int) -> None:
        """Plug a vehicle in; a waiting session starts after start_delay_s."""
        connector = self._connector(station, number)
        if connector.plugged:
            return
        connector.plugged = True
        session = connector.session
        if session is not None:
            if session.phase is Phase.CREATED:
                self._clock.call_later(self._config.start_delay_s, lambda: self._begin(session))
            return
        self._set_status(station, connector, "Preparing")

    def unplug(self, station: Station, number: int) -> None:
        """Unplug the vehicle; a running session ends, a waiting one keeps waiting."""
        connector = self._connector(station, number)
        if not connector.plugged:
            return
        connector.plugged = False
        session = connector.session
        if session is None:
            self._set_status(station, connector, "Available")
        elif session.phase is Phase.STARTED:
            self._end(session)

    def add_station(self, provider: Provider, connectors: int) -> Station:
        """Connect a new station to the account; it reports itself online at once."""
        if connectors < 1:
            raise SimulatorError(f"connectors must be at least 1, not {connectors}")
        now = self._clock.now
        station = self._layout.station(provider, connectors, created_at=now, connected_at=now)
        self.stations.append(station)
        self._emit(EventKind.STATION_ONLINE, station)
        return station

    def remove_station(self, station: Station) -> None:
        """Take a station off the account; its past sessions stay on record.

        Refused while a session holds one of its connectors. Steps still due on the station,
        such as an unanswered power limit, are dropped: no change is reported for it any more.
        """
        busy = [c.number for c in station.connectors if c.session is not None]
        if busy:
            raise SimulatorError(f"station {station.id} has a session on connector {busy[0]}")
        self.stations.remove(station)

    def set_online(self, station: Station, *, online: bool) -> None:
        """Connect or disconnect a station."""
        if station.online == online:
            return
        station.online = online
        if online:
            station.last_connect_at = self._clock.now
            self._emit(EventKind.STATION_ONLINE, station)
        else:
            station.last_disconnect_at = self._clock.now
            self._emit(EventKind.STATION_OFFLINE, station)

    # Timed steps

    def _begin(self, session: Session) -> None:
        if session.phase is not Phase.CREATED:
            return
        station, connector = session.station, session.connector
        if not station.online:
            self._close(session, Phase.FAILED, EventKind.SESSION_START_FAILURE)
            return
        if not connector.plugged:
            # Unplugged again before the start: the timeout decides, or decided already.
            if self._clock.now >= session.deadline:
                self._close(session, Phase.CANCELLED, EventKind.SESSION_CANCELLED)
            return
        now = self._clock.now
        session.phase = Phase.STARTED
        session.started_at = session.updated_at = session.base_time = now
        session.meter_start_wh = connector.register_wh
        session.power_w = self._allowed_power(session)
        if station.provider is Provider.THOR:
            session.transaction_id = self._next_transaction
            self._next_transaction += 1
        self._emit(EventKind.SESSION_STARTED, station, session)
        self._set_status(station, connector, "Charging")
        self._clock.call_later(self._config.meter_interval_s, lambda: self._meter_tick(session))

    def _time_out(self, session: Session) -> None:
        if session.phase is Phase.CREATED and not session.connector.plugged:
            self._close(session, Phase.CANCELLED, EventKind.SESSION_CANCELLED)

    def _meter_tick(self, session: Session) -> None:
        if session.phase is not Phase.STARTED:
            return
        station = session.station
        session.updated_at = self._clock.now
        # An offline station cannot report its meters.
        if station.online:
            self._emit(EventKind.SESSION_UPDATED, station, session)
        if self.energy_wh(session) >= CHARGEABLE_WH:
            self._set_status(station, session.connector, "SuspendedEV")
        if not session.stopping and self._target_reached(session):
            self.request_stop(session, fail=False)
        self._clock.call_later(self._config.meter_interval_s, lambda: self._meter_tick(session))

    def _finish_stop(self, session: Session, *, fail: bool) -> None:
        if session.phase is not Phase.STARTED:
            return
        if fail or not session.station.online:
            session.stopping = False
            session.updated_at = self._clock.now
            self._emit(EventKind.SESSION_STOP_FAILURE, session.station, session)
            return
        self._end(session)

    def _answer_limit(self, action: Action) -> None:
        if action.station not in self.stations:
            return
        action.updated_at = self._clock.now
        if action.limit_w < MIN_LIMIT_W:
            action.status = "failed"
            self._emit(EventKind.LIMIT_REJECTED, action.station, action=action)
            return
        action.status = "completed"
        connector = action.connector
        if action.session is None:
            connector.default_limit_w = action.limit_w
        else:
            action.session.limit_w = action.limit_w
        running = connector.session
        if running is not None and running.phase is Phase.STARTED:
            self._rebase(running)
        self._emit(EventKind.LIMIT_ACCEPTED, action.station, action=action)

    # Helpers

    def _end(self, session: Session) -> None:
        self._rebase(session)
        now = self._clock.now
        session.phase = Phase.ENDED
        session.stopped_at = session.updated_at = now
        session.stopping = False
        session.power_w = 0.0
        connector = session.connector
        connector.register_wh += session.energy_base_wh
        connector.session = None
        self._emit(EventKind.SESSION_ENDED, session.station, session)
        self._set_status(
            session.station, connector, "Finishing" if connector.plugged else "Available"
        )

    def _close(self, session: Session, phase: Phase, kind: EventKind) -> None:
        session.phase = phase
        session.updated_at = self._clock.now
        session.connector.session = None
        self._emit(kind, session.station, session)
        plugged = session.connector.plugged
        self._set_status(
            session.station, session.connector, "Preparing" if plugged else "Available"
        )

    def _rebase(self, session: Session) -> None:
        """Fold the energy so far into the base values, then apply the current power."""
        session.energy_base_wh = self.energy_wh(session)
        session.period_base_s = self.period_s(session)
        session.base_time = self._clock.now
        session.power_w = self._allowed_power(session)

    def _allowed_power(self, session: Session) -> float:
        connector = session.connector
        limit = session.limit_w if session.limit_w is not None else connector.default_limit_w
        return float(connector.power_w if limit is None else min(connector.power_w, limit))

    def _target_reached(self, session: Session) -> bool:
        target = session.target
        return (
            ("energy" in target and self.energy_wh(session) >= target["energy"] * 1000)
            or ("time" in target and self.period_s(session) >= target["time"] * 60)
            or ("cost" in target and self.cost(session) >= target["cost"])
        )

    def _set_status(self, station: Station, connector: Connector, status: str) -> None:
        if connector.status == status:
            return
        connector.status = status
        connector.status_since = self._clock.now
        self._emit(EventKind.CONNECTOR_STATUS, station)

    def _emit(
        self,
        kind: EventKind,
        station: Station,
        session: Session | None = None,
        *,
        action: Action | None = None,
    ) -> None:
        self._emit_event(WorldEvent(kind, station, session, action))

    @staticmethod
    def _connector(station: Station, number: int) -> Connector:
        connector = station.connector(number)
        if connector is None:
            raise SimulatorError(
                f"station {station.id} has connectors 1 to {len(station.connectors)}, not {number}"
            )
        return connector
