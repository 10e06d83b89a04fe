"""Map Thor integration-API objects (chargebox, charge) onto the normalized model."""

from __future__ import annotations

from ..models import (
    Capabilities,
    Connector,
    ConnectorStatus,
    Session,
    SessionRef,
    SessionStatus,
    Station,
)
from ..values import (
    as_dict,
    as_list,
    from_epoch_ms,
    require_int,
    require_str,
    to_bool,
    to_float,
    to_int,
    to_str,
)

THOR_CAPABILITIES = Capabilities(
    connector_status=False,
    station_online_push=False,
    power=True,
    current=True,
    soc=True,
    cost=False,
    current_limit=False,
    session_lookup=False,
    session_targets=False,
)


def connector_id(chargebox: str, number: int) -> str:
    """Return the account-wide id of connector `number` (1-based) of a chargebox."""
    return f"{chargebox}_{number}"


def session_id(transaction: int | None, id_tag: str | None, fallback: str) -> str:
    """Return the transaction as the session id when known, else the id_tag, else `fallback`."""
    if transaction:
        return str(transaction)
    return id_tag or fallback


def parse_chargebox(data: object) -> Station:
    """Map a chargebox. Thor reports no connector status, only occupied and reserved ones."""
    box = as_dict(data, "chargebox")
    box_id = require_str(box.get("id"), "chargebox id")
    occupied = _numbers(box.get("occupied_connectors"))
    reserved = _numbers(box.get("reserved_connectors"))
    connectors: list[Connector] = []
    for number, item in enumerate(as_list(box.get("connectors", []), "connectors"), start=1):
        connector = as_dict(item, "connector")
        power_w = to_float(connector.get("power"))
        if number in occupied:
            status = ConnectorStatus.CHARGING
        elif number in reserved:
            status = ConnectorStatus.RESERVED
        else:
            status = ConnectorStatus.UNKNOWN
        connectors.append(
            Connector(
                id=connector_id(box_id, number),
                station_id=box_id,
                number=number,
                label=f"Connector {number}",
                status=status,
                max_power_kw=power_w / 1000 if power_w is not None else None,
                max_current_a=to_float(connector.get("max_amperage")),
                plug_type=to_str(connector.get("type")),
                plug_format=to_str(connector.get("format")),
            )
        )
    return Station(
        id=box_id,
        name=to_str(box.get("alias")) or box_id,
        online=to_bool(box.get("connected")),
        connectors=tuple(connectors),
    )


def parse_charge(data: object, status: SessionStatus) -> Session:
    """Map a running (STARTED) or finished (ENDED) charge; `energy` is in Wh."""
    charge = as_dict(data, "charge")
    box_id = require_str(charge.get("chargebox"), "charge chargebox")
    number = require_int(charge.get("connector"), "charge connector")
    transaction = to_int(charge.get("id")) or None
    id_tag = to_str(charge.get("id_tag"))
    connector = connector_id(box_id, number)
    return Session(
        id=session_id(transaction, id_tag, connector),
        station_id=box_id,
        connector_id=connector,
        status=status,
        ref=SessionRef(thor_id_tag=id_tag, thor_transaction=transaction),
        energy_wh=to_float(charge.get("energy")),
        started_at=from_epoch_ms(charge.get("date_started")),
        ended_at=from_epoch_ms(charge.get("date_finished")),
    )


def _numbers(value: object) -> set[int]:
    if not isinstance(value, list):
        return set()
    return {number for item in value if (number := to_int(item)) is not None}
