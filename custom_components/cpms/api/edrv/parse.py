"""Map eDRV v1.1 objects (chargestation, connector, user, session) onto the normalized model."""

from __future__ import annotations

from ..models import (
    Capabilities,
    Connector,
    ConnectorStatus,
    Money,
    Session,
    SessionRef,
    SessionStatus,
    Station,
    User,
)
from ..values import (
    as_dict,
    as_list,
    energy_wh,
    folded,
    from_iso,
    optional_dict,
    power_w,
    ref_id,
    require_str,
    to_bool,
    to_float,
    to_str,
)
from .units import EdrvUnits

EDRV_CAPABILITIES = Capabilities(
    connector_status=True,
    station_online_push=True,
    power=True,
    current=True,
    soc=True,
    cost=True,
    current_limit=True,
    session_lookup=True,
    session_targets=True,
)

_SESSION_STATUS = {
    "created": SessionStatus.CREATED,
    "started": SessionStatus.STARTED,
    "ended": SessionStatus.ENDED,
    "cancelled": SessionStatus.CANCELLED,
    "canceled": SessionStatus.CANCELLED,
}


def parse_station(data: object) -> Station:
    """Map a chargestation; its connectors are numbered by position, from 1."""
    station = as_dict(data, "chargestation")
    station_id = require_str(station.get("_id"), "chargestation _id")
    boot = optional_dict(station.get("bootInfo"))
    connectors = as_list(station.get("connectors", []), "chargestation connectors")
    return Station(
        id=station_id,
        name=to_str(station.get("endpoint")) or station_id,
        vendor=to_str(boot.get("chargePointVendor")),
        model=to_str(boot.get("chargePointModel")) or to_str(station.get("model")),
        firmware=to_str(boot.get("firmwareVersion")),
        serial=to_str(boot.get("chargePointSerialNumber"))
        or to_str(boot.get("chargeBoxSerialNumber")),
        online=to_bool(station.get("online")),
        connectors=tuple(
            parse_connector(item, station_id, number)
            for number, item in enumerate(connectors, start=1)
        ),
    )


def parse_connector(data: object, station_id: str, number: int) -> Connector:
    """Map one embedded connector; `power` is its rating in kW."""
    connector = as_dict(data, "connector")
    return Connector(
        id=require_str(connector.get("_id"), "connector _id"),
        station_id=station_id,
        number=number,
        label=f"Connector {number}",
        status=ConnectorStatus.parse(connector.get("status")),
        max_power_kw=to_float(connector.get("power")),
        plug_type=to_str(connector.get("type")),
        plug_format=to_str(connector.get("format")),
    )


def parse_user(data: object) -> User:
    """Map a user; the name falls back to the e-mail address, then the id."""
    user = as_dict(data, "user")
    user_id = require_str(user.get("_id"), "user _id")
    email = to_str(user.get("email"))
    names = (to_str(user.get("firstname")), to_str(user.get("lastname")))
    name = " ".join(part for part in names if part)
    return User(id=user_id, name=name or email or user_id, email=email)


def parse_session_status(value: object, metrics: dict[str, object]) -> SessionStatus:
    """Map a session status case-insensitively ("Started" == "started").

    A missing or unknown status is derived from the metrics: a charging stop
    time means ENDED, a charging start time STARTED, neither CREATED (the
    start is still pending). This never invents a failure.
    """
    status = _SESSION_STATUS.get(folded(value) or "")
    if status is not None:
        return status
    if from_iso(metrics.get("chargingStop")) is not None:
        return SessionStatus.ENDED
    if from_iso(metrics.get("chargingStart")) is not None:
        return SessionStatus.STARTED
    return SessionStatus.CREATED


def parse_session(
    data: object,
    units: EdrvUnits,
    status: SessionStatus | None = None,
    *,
    connector: Connector | None = None,
) -> Session:
    """Map a session; `status` overrides the one in the data (webhook event types).

    `connector` is the one a start asked for: the answer to POST /sessions may name neither
    it nor its station, and the start happened all the same.
    """
    session = as_dict(data, "session")
    session_id = require_str(session.get("_id"), "session _id")
    metrics = optional_dict(session.get("metrics"))
    report = optional_dict(session.get("energy_report"))
    power = optional_dict(report.get("power"))
    station_id = ref_id(session.get("chargestation")) or (connector and connector.station_id)
    station_id = require_str(station_id, "session chargestation")
    meter = optional_dict(report.get("energy_meter"))
    return Session(
        id=session_id,
        station_id=station_id,
        connector_id=require_str(
            ref_id(session.get("connector")) or (connector and connector.id), "session connector"
        ),
        status=status or parse_session_status(session.get("status"), metrics),
        ref=SessionRef(edrv_session_id=session_id),
        energy_wh=to_float(metrics.get("energyConsumed")),
        meter_wh=energy_wh(meter.get("value"), meter.get("unit"), default_unit="kWh"),
        power_w=power_w(power.get("value"), power.get("unit"), default_unit="kW"),
        current_a=to_float(optional_dict(report.get("current")).get("value")),
        soc=units.soc(report.get("state_of_charge"), session_id=session_id, station_id=station_id),
        cost=parse_money(session.get("cost")),
        started_at=from_iso(metrics.get("chargingStart")),
        ended_at=from_iso(metrics.get("chargingStop")),
    )


def parse_money(data: object) -> Money | None:
    """Map a cost; eDRV writes currencies in lower case ("eur")."""
    cost = optional_dict(data)
    amount = to_float(cost.get("amount"))
    currency = to_str(cost.get("currency"))
    if amount is None or currency is None:
        return None
    return Money(amount=amount, currency=currency.strip().upper())
