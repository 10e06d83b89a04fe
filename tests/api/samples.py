"""Payloads shaped like the examples in the eDRV and Thor docs."""

from __future__ import annotations

import copy
import json
from typing import Any

EDRV_STATION_ID = "5fca57b3fbfcc320b3b03f20"
EDRV_CONNECTOR_ID = "5fca57b3fbfcc320b3b03f23"
EDRV_CONNECTOR_2_ID = "5fca57b3fbfcc320b3b03f25"
EDRV_USER_ID = "5fca57b3fbfcc320b3b03f24"
EDRV_SESSION_ID = "61f7c3a9c1d2e3f4a5b6c7d8"
THOR_BOX = "EaJ7cU9NJ3YkTNgy"

_EDRV_SESSION: dict[str, Any] = {
    "_id": EDRV_SESSION_ID,
    "user": EDRV_USER_ID,
    "chargestation": EDRV_STATION_ID,
    "connector": EDRV_CONNECTOR_ID,
    "status": "Started",
    "metrics": {
        "energyConsumed": "1523.5",
        "chargingStart": "2026-11-21T10:00:00.000Z",
        "chargingStop": None,
        "energyPeriod": 600,
        "timezone": "Europe/Amsterdam",
    },
    "energy_report": {
        "current": {"value": "16.0", "unit": "A"},
        "power": {"value": "11.0", "unit": "kW"},
        "energy_meter": {"value": 12.5, "unit": "kWh"},
        "state_of_charge": {"value": 52, "unit": "Percent"},
    },
    "cost": {"amount": "3.25", "currency": "eur"},
    "createdAt": "2026-11-21T09:59:30.000Z",
    "updatedAt": "2026-11-21T10:10:00.000Z",
}

_EDRV_STATION: dict[str, Any] = {
    "_id": EDRV_STATION_ID,
    "endpoint": "garage-wallbox",
    "online": True,
    "active": True,
    "model": "Pulsar",
    "protocol": "ocpp1.6",
    "bootInfo": {
        "chargePointVendor": "Wallbox",
        "chargePointModel": "Pulsar Plus",
        "chargePointSerialNumber": "WB-123",
        "chargeBoxSerialNumber": "CB-456",
        "firmwareVersion": "5.5.10",
    },
    "connectors": [
        {
            "_id": EDRV_CONNECTOR_ID,
            "chargestation": EDRV_STATION_ID,
            "active": True,
            "status": "Preparing",
            "type": "Type2",
            "format": "Socket",
            "power_type": "AC_3_PHASE",
            "power": "11.0",
        },
        {
            "_id": EDRV_CONNECTOR_2_ID,
            "chargestation": EDRV_STATION_ID,
            "active": True,
            "status": "SuspendedEV",
            "type": "Type2",
            "format": "CABLE",
            "power_type": "AC_3_PHASE",
            "power": 22,
        },
    ],
    "lastConnectAt": "2026-11-21T08:00:00.000Z",
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-11-21T08:00:00.000Z",
}

_EDRV_ACTION: dict[str, Any] = {
    "_id": "6450aa00aa00aa00aa00aa01",
    "type": "chargestation.set_power_limit",
    "status": "Accepted",
    "chargestation": EDRV_STATION_ID,
    "connector": EDRV_CONNECTOR_ID,
    "data": {"unit": "current", "limit": 10},
    "createdAt": "2026-11-21T10:05:00.000Z",
    "updatedAt": "2026-11-21T10:05:01.000Z",
}


def edrv_session(**changes: Any) -> dict[str, Any]:
    """Return an eDRV session with top-level fields replaced."""
    return {**copy.deepcopy(_EDRV_SESSION), **changes}


def edrv_station(**changes: Any) -> dict[str, Any]:
    """Return an eDRV chargestation with top-level fields replaced."""
    return {**copy.deepcopy(_EDRV_STATION), **changes}


def edrv_action(**changes: Any) -> dict[str, Any]:
    """Return an eDRV set_power_limit action."""
    return {**copy.deepcopy(_EDRV_ACTION), **changes}


def edrv_webhook(event_type: str, data: object, *, object_name: str = "session") -> dict[str, Any]:
    """Wrap data in the eDRV webhook envelope."""
    return {
        "_id": "644fc18f84c4b5000981ad7b",
        "type": event_type,
        "object": object_name,
        "data": data,
        "createdAt": "2026-11-21T10:10:00.264Z",
    }


def thor_start_raw(*, accepted: bool = True, transaction: int = 42, mode: str = "api") -> bytes:
    """Return a start notification the way the docs write it: the mode as a second "type"."""
    flag = "true" if accepted else "false"
    return (
        f'{{"type":"start","accepted":{flag},"chargebox":"{THOR_BOX}","id":"API-7f3a",'
        f'"connector":1,"transaction_id":{transaction},"type":"{mode}"}}'
    ).encode()


def thor_stop(**changes: Any) -> dict[str, Any]:
    """Return an accepted stop_transaction notification."""
    return {
        "type": "stop_transaction",
        "accepted": True,
        "unlocked": False,
        "chargebox": THOR_BOX,
        "idTag": "API-7f3a",
        "connector": 1,
        "transaction_id": 42,
        "kwh": 7340,
        "time": 3600,
        **changes,
    }


def thor_stop_rejected(**changes: Any) -> dict[str, Any]:
    """Return a msg:stop notification of a rejected remote stop."""
    return {
        "msg": "stop",
        "accepted": False,
        "unlocked": False,
        "chargebox": THOR_BOX,
        "idTag": "API-7f3a",
        "connector": 1,
        "transaction_id": 0,
        "energy": 5100,
        "time": 1800,
        **changes,
    }


def thor_meters(meters: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """Return a meter-values notification."""
    return {
        "type": "meters",
        "chargebox": THOR_BOX,
        "connector": 1,
        "idTag": "API-7f3a",
        "time": "00:10:00",
        "kwh": 2450,
        "meters": meters,
        **changes,
    }


def dumps(payload: object, *, ascii_only: bool = False) -> bytes:
    """Serialize as a provider would: compact, raw UTF-8 unless ascii_only."""
    return json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":")).encode()
