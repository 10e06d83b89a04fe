"""Decode Thor notifications (start, stop, meter values); Thor signs nothing."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
import hashlib
import json
from typing import TYPE_CHECKING

from ..errors import WebhookPayloadError, WebhookUnknownStationError
from ..models import Event, MeterValuesEvent, Session, SessionEvent, SessionRef, SessionStatus
from ..observe import CloudObservations
from ..values import (
    as_dict,
    energy_wh,
    folded,
    optional_dict,
    power_w,
    require_int,
    require_str,
    to_bool,
    to_float,
    to_int,
    to_str,
)
from .parse import connector_id, session_id

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

# The docs' examples repeat "type" for the start mode; the JSON hook keeps every value here.
_ALL_TYPES = "\x00types"
_START_MODES = frozenset({"local", "remote", "api"})
_ENERGY = "energy.active.import.register"
_POWER = "power.active.import"
_CURRENT = "current.import"
_SOC = "soc"
_CONNECTORS_KEPT = 1024
FACT_STOP_KWH = "Thor stop notification kwh"
FACT_METER_KWH = "Thor meter notifications"


class ThorWebhookDecoder:
    """Turns one Thor notification into normalized events.

    Thor's notifications carry no signature, so a chargebox outside
    `known_stations()` is refused. The event id is the SHA-256 of the raw
    body, since the payload has none.
    """

    def __init__(
        self,
        known_stations: Callable[[], Collection[str]],
        *,
        observations: CloudObservations | None = None,
    ) -> None:
        """Keep the callable giving the chargebox ids of the account."""
        self._known_stations = known_stations
        self.observations = observations or CloudObservations()
        # The session energy last reported per connector, to check the stop's unit against.
        self._last_energy: OrderedDict[str, float] = OrderedDict()

    def decode(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        """Return the events of a notification; raise only WebhookError subclasses.

        RFID authorizations, unlock notices and unknown messages give [].
        """
        try:
            payload = as_dict(
                json.loads(body.decode("utf-8"), object_pairs_hook=_keep_types), "notification"
            )
            kind = folded(payload.get("type")) or folded(payload.get("msg")) or ""
            self.observations.record_delivery(kind, headers, body)
            build = _builder(payload)
            if build is None:
                return []
            station_id = require_str(payload.get("chargebox"), "chargebox")
        except Exception as err:
            raise _payload_error(err) from err
        # Outside the guard: a failing lookup is the caller's bug, not a bad delivery.
        if station_id not in self._known_stations():
            raise WebhookUnknownStationError(f"unknown chargebox {station_id!r}")
        try:
            event = build(payload, hashlib.sha256(body).hexdigest(), station_id)
        except Exception as err:
            raise _payload_error(err) from err
        return [self._checked(event)]

    def _checked(self, event: Event) -> Event:
        """Check the stop's energy against the meter values of the same charge.

        The docs give `kwh` in Wh, but the name says kWh. A stop `kwh` that is a thousandth
        of the energy the meter notifications reported is in kWh; one that fits neither
        scale is dropped for the meters' figure. Each finding is logged once.
        """
        if isinstance(event, MeterValuesEvent):
            if event.energy_wh is not None:
                self._remember(event.connector_id, event.energy_wh)
            self.observations.note(
                FACT_METER_KWH, "with kwh" if event.energy_wh is not None else "without kwh"
            )
            return event
        if (
            not isinstance(event, SessionEvent)
            or event.session.status is not SessionStatus.ENDED
            or (stop := event.session.energy_wh) is None
        ):
            return event
        session = event.session
        last = self._last_energy.pop(session.connector_id, None)
        energy: float | None = stop
        if last is None or stop >= last * 0.99:
            if last is not None:
                self.observations.note(FACT_STOP_KWH, "Wh")
        elif last * 0.99 <= stop * 1000 <= last * 1.5 + 1000:
            self.observations.note(FACT_STOP_KWH, "kWh")
            energy = stop * 1000
        else:
            self.observations.note(FACT_STOP_KWH, "disagrees with the meter values, not used")
            energy = last
        return replace(event, session=replace(session, energy_wh=energy))

    def _remember(self, connector_id: str, energy_wh: float) -> None:
        self._last_energy[connector_id] = energy_wh
        self._last_energy.move_to_end(connector_id)
        if len(self._last_energy) > _CONNECTORS_KEPT:
            self._last_energy.popitem(last=False)


type _Builder = Callable[[dict[str, object], str, str], Event]


def _payload_error(err: Exception) -> WebhookPayloadError:
    # Any shape surprise in the payload is a bad delivery, not a crash.
    return WebhookPayloadError(f"unreadable Thor notification: {type(err).__name__}")


def _builder(payload: dict[str, object]) -> _Builder | None:
    """Route on "type"/"msg" (every "type" value counts); None for ignored messages."""
    msg = folded(payload.get("msg"))
    if msg == "rfid":
        return None  # an authorization request (its "type" may even be "start")
    types = payload.get(_ALL_TYPES)
    kinds = {folded(value) for value in (types if isinstance(types, list) else [])}
    kinds.add(folded(payload.get("type")))
    accepted = to_bool(payload.get("accepted"))
    if "start" in kinds or (
        kinds & _START_MODES and accepted is not None and "transaction_id" in payload
    ):
        return _start
    if "stop_transaction" in kinds or msg == "stop":
        if to_bool(payload.get("unlocked")) and not accepted:
            return None  # an unlock from the dashboard; a stop, if any, is notified on its own
        return _stop
    if "meters" in kinds:
        return _meters
    return None


def _keep_types(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Build an object like json does (last value wins) but keep every "type" value."""
    result = dict(pairs)
    types = [value for key, value in pairs if key == "type"]
    if len(types) > 1:
        result[_ALL_TYPES] = types
    return result


def _start(payload: dict[str, object], event_id: str, station_id: str) -> Event:
    accepted = to_bool(payload.get("accepted"))
    if accepted is None:
        accepted = bool(to_int(payload.get("transaction_id")))
    status = SessionStatus.STARTED if accepted else SessionStatus.START_FAILED
    return _session_event(payload, event_id, station_id, status, id_tag_key="id", energy=None)


def _stop(payload: dict[str, object], event_id: str, station_id: str) -> Event:
    accepted = to_bool(payload.get("accepted")) is True
    # "kwh" (in Wh) on stop_transaction, "energy" on the msg "stop" form.
    energy = to_float(payload.get("kwh"))
    if energy is None:
        energy = to_float(payload.get("energy"))
    status = SessionStatus.ENDED if accepted else SessionStatus.STOP_FAILED
    return _session_event(payload, event_id, station_id, status, id_tag_key="idTag", energy=energy)


def _session_event(
    payload: dict[str, object],
    event_id: str,
    station_id: str,
    status: SessionStatus,
    *,
    id_tag_key: str,
    energy: float | None,
) -> Event:
    connector = connector_id(station_id, require_int(payload.get("connector"), "connector"))
    # 0 means "no transaction" (rejected start or stop).
    transaction = to_int(payload.get("transaction_id")) or None
    id_tag = to_str(payload.get(id_tag_key))
    return SessionEvent(
        event_id=event_id,
        station_id=station_id,
        session=Session(
            id=session_id(transaction, id_tag, connector),
            station_id=station_id,
            connector_id=connector,
            status=status,
            ref=SessionRef(thor_id_tag=id_tag, thor_transaction=transaction),
            energy_wh=energy,
        ),
    )


def _meters(payload: dict[str, object], event_id: str, station_id: str) -> Event:
    """Map meter values; energy is the session's `kwh` (Wh), like a running charge's.

    Energy.Active.Import.Register is the meter's absolute reading in OCPP: it is
    passed on as the register, never as the session's energy. Power sums the
    phases when no total is given; current is the most loaded phase.
    """
    by_measurand: dict[str, list[tuple[float, str | None, object]]] = {}
    meters = payload.get("meters")
    for item in meters if isinstance(meters, list) else []:
        meter = optional_dict(item)
        value = to_float(meter.get("value", meter.get("Value")))
        if value is None:
            continue
        # OCPP's default measurand is the energy register.
        measurand = folded(meter.get("measurand")) or _ENERGY
        by_measurand.setdefault(measurand, []).append(
            (value, folded(meter.get("phase")), meter.get("uom"))
        )
    power = _total(by_measurand.get(_POWER), power_w, "W")
    current = [value for value, _, _ in by_measurand.get(_CURRENT, [])]
    soc = [value for value, _, _ in by_measurand.get(_SOC, [])]
    number = require_int(payload.get("connector"), "connector")
    return MeterValuesEvent(
        event_id=event_id,
        station_id=station_id,
        connector_id=connector_id(station_id, number),
        ref=SessionRef(thor_id_tag=to_str(payload.get("idTag"))),
        energy_wh=to_float(payload.get("kwh")),
        meter_wh=_total(by_measurand.get(_ENERGY), energy_wh, "Wh"),
        power_w=power,
        current_a=max(current, default=None),
        soc=soc[0] if soc else None,
    )


def _total(
    samples: list[tuple[float, str | None, object]] | None,
    convert: Callable[..., float | None],
    default_unit: str,
) -> float | None:
    """Return the phase-less sample, else the sum of the per-phase samples, in base units."""
    if not samples:
        return None
    converted = [
        (convert(value, unit, default_unit=default_unit), phase) for value, phase, unit in samples
    ]
    overall = [value for value, phase in converted if phase is None and value is not None]
    if overall:
        return overall[0]
    phases = [value for value, _ in converted if value is not None]
    return sum(phases) if phases else None
