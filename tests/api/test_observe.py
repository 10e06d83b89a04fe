"""The sample kept for diagnostics: bounded, and redacted before it is kept."""

from __future__ import annotations

import json

from custom_components.cpms.api import CloudObservations
from custom_components.cpms.api.observe import DELIVERIES_PER_TYPE, MAX_TYPES, call_template


def test_deliveries_are_redacted_and_bounded() -> None:
    seen = CloudObservations()
    body = {
        "_id": "644fc18f84c4b5000981ad7b",
        "type": "session.updated",
        "data": {
            "user": {"firstname": "Zoë", "email": "zoe@example.com"},
            "status": "Started",
            "id_tag": "CARD-1234",
            "metrics": {"energyConsumed": 1523.5},
            "energy_report": {"state_of_charge": {"value": 0.52, "unit": None}},
            "EaJ7cU9NJ3YkTNgy": {"alias": "Garage"},
        },
    }
    headers = {
        "edrv-signature": "t=1795000000,v1=5f2b9c0d1e2f3a4b5c6d7e8f",
        "Content-Type": "application/json",
        "X-Forwarded-For": "203.0.113.7",
    }
    for _ in range(DELIVERIES_PER_TYPE + 2):
        seen.record_delivery("session.updated", headers, json.dumps(body).encode())
    sample = seen.as_dict()["deliveries"]["session.updated"]
    assert len(sample) == DELIVERIES_PER_TYPE
    text = json.dumps(sample)
    for secret in ("Zoë", "zoe@example.com", "CARD-1234", "644fc18f", "203.0.113.7", "Garage"):
        assert secret not in text
    assert "5f2b" not in text
    assert "1795" not in text
    first = sample[0]
    assert first["headers"]["edrv-signature"] == "t=<10 digits>,v1=<24 hex>"
    assert first["headers"]["content-type"] == "application/json"
    assert first["body"]["data"]["status"] == "Started"
    assert first["body"]["data"]["metrics"] == {"energyConsumed": 1523.5}
    assert first["body"]["data"]["energy_report"]["state_of_charge"] == {
        "value": 0.52,
        "unit": None,
    }
    seen.record_delivery("x", {}, b"\xff not json")
    assert seen.as_dict()["deliveries"]["x"][0]["body"] == "<10 bytes, not JSON>"
    for n in range(MAX_TYPES + 1):
        seen.record_delivery(f"t{n}", {}, b"{}")
    assert len(seen.as_dict()["deliveries"]) == MAX_TYPES


def test_answers_keep_only_their_shape() -> None:
    seen = CloudObservations()
    answer = {"ok": True, "result": [{"_id": "abc123", "online": True, "power": 11.1, "x": None}]}
    seen.record_answer("GET", "sessions/65ab12/stop?x=1", 200, json.dumps(answer).encode())
    seen.record_answer("POST", "charges/stop", 200, b"")
    seen.record_answer("GET", "chargeboxes", 500, b"InternalServerError")
    assert seen.as_dict()["answers"] == {
        "GET sessions/{id}/stop → 200": {
            "ok": "bool",
            "result": [{"_id": "str", "online": "bool", "power": "float", "x": "null"}],
        },
        "POST charges/stop → 200": "empty",
        "GET chargeboxes → 500": "text",
    }
    assert call_template("/chargestations/") == "chargestations"


def test_facts_change_is_noted_once() -> None:
    seen = CloudObservations()
    assert seen.note("eDRV first page number", "1") is True
    assert seen.note("eDRV first page number", "1") is False
    assert seen.note("eDRV first page number", "0") is True
    assert seen.as_dict()["detected"] == {"eDRV first page number": "0"}
