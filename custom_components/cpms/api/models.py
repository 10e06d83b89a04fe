"""The normalized model that both providers are mapped onto."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


class Provider(StrEnum):
    """A supported cloud charge-point management system."""

    EDRV = "edrv"
    THOR = "thor"


class ConnectorStatus(StrEnum):
    """OCPP 1.6 StatusNotification states, plus unknown."""

    AVAILABLE = "available"
    PREPARING = "preparing"
    CHARGING = "charging"
    SUSPENDED_EV = "suspended_ev"
    SUSPENDED_EVSE = "suspended_evse"
    FINISHING = "finishing"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"
    FAULTED = "faulted"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> ConnectorStatus:
        """Map an OCPP status in any spelling ("SuspendedEV", "suspended_ev") to a member."""
        if not isinstance(value, str):
            return cls.UNKNOWN
        key = value.strip().lower().replace("_", "").replace(" ", "")
        return _CONNECTOR_STATUS_BY_KEY.get(key, cls.UNKNOWN)


_CONNECTOR_STATUS_BY_KEY = {s.value.replace("_", ""): s for s in ConnectorStatus}


class SessionStatus(StrEnum):
    """Life of a charging session, the same for every provider."""

    REQUESTED = "requested"
    CREATED = "created"
    STARTED = "started"
    STOPPING = "stopping"
    ENDED = "ended"
    CANCELLED = "cancelled"
    START_FAILED = "start_failed"
    STOP_FAILED = "stop_failed"

    @property
    def is_active(self) -> bool:
        """Whether the session may still hold the connector (a failed stop keeps charging)."""
        return self not in _FINAL_SESSION_STATUSES


_FINAL_SESSION_STATUSES = frozenset(
    {SessionStatus.ENDED, SessionStatus.CANCELLED, SessionStatus.START_FAILED}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What a provider can feed, so entities exist only where they get data."""

    connector_status: bool
    station_online_push: bool
    power: bool
    current: bool
    soc: bool
    cost: bool
    current_limit: bool
    session_lookup: bool
    session_targets: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Connector:
    """One plug of a station; `id` is unique across the account."""

    id: str
    station_id: str
    number: int
    label: str
    status: ConnectorStatus = ConnectorStatus.UNKNOWN
    max_power_kw: float | None = None
    max_current_a: float | None = None
    plug_type: str | None = None
    plug_format: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Station:
    """A charge station (eDRV chargestation, Thor chargebox)."""

    id: str
    name: str
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    online: bool | None = None
    connectors: tuple[Connector, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Money:
    """An amount with its ISO 4217 currency in upper case."""

    amount: float
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRef:
    """What each provider needs to find or stop a session later; safe to persist."""

    edrv_session_id: str | None = None
    thor_id_tag: str | None = None
    thor_transaction: int | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        """Serialize for storage."""
        return {
            "edrv_session_id": self.edrv_session_id,
            "thor_id_tag": self.thor_id_tag,
            "thor_transaction": self.thor_transaction,
        }

    def matches(self, other: SessionRef) -> bool:
        """Whether both point at the same session.

        A Thor id tag can be an RFID card used for many sessions, so it only decides when
        either side does not know the transaction yet.
        """
        if self.edrv_session_id and other.edrv_session_id:
            return self.edrv_session_id == other.edrv_session_id
        if self.thor_transaction and other.thor_transaction:
            return self.thor_transaction == other.thor_transaction
        return bool(self.thor_id_tag) and self.thor_id_tag == other.thor_id_tag

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SessionRef:
        """Rebuild from `as_dict` output, ignoring anything of the wrong type."""
        session_id = data.get("edrv_session_id")
        id_tag = data.get("thor_id_tag")
        transaction = data.get("thor_transaction")
        return cls(
            edrv_session_id=session_id if isinstance(session_id, str) else None,
            thor_id_tag=id_tag if isinstance(id_tag, str) else None,
            thor_transaction=transaction
            if isinstance(transaction, int) and not isinstance(transaction, bool)
            else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A charging session. A field left None was not reported, not zero.

    `meter_wh` is the connector's meter register (lifetime), not the session's energy.
    """

    id: str
    station_id: str
    connector_id: str
    status: SessionStatus
    ref: SessionRef = field(default_factory=SessionRef)
    energy_wh: float | None = None
    meter_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    soc: float | None = None
    cost: Money | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # The meter register when the session began, where energy is only known from the register.
    meter_start_wh: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something a webhook told us; `event_id` is stable across redeliveries."""

    event_id: str
    station_id: str
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEvent(Event):
    """A session changed; None fields of `session` were not in the message."""

    session: Session


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorStatusEvent(Event):
    """A connector reported a new OCPP status."""

    connector_id: str
    status: ConnectorStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class StationOnlineEvent(Event):
    """A station connected to or disconnected from the cloud."""

    online: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterValuesEvent(Event):
    """Live meter values of the session running on a connector.

    `energy_wh` is the session's energy; `meter_wh` the meter's absolute reading, from which
    the session's energy is its rise since the session began, when `energy_wh` is missing.
    """

    connector_id: str
    ref: SessionRef = field(default_factory=SessionRef)
    energy_wh: float | None = None
    meter_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    soc: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResultEvent(Event):
    """The station accepted or rejected an asynchronous command."""

    command: str
    accepted: bool
    connector_id: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """An eDRV user on whose behalf sessions start."""

    id: str
    name: str
    email: str | None = None
