"""Thor notification decoding."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from custom_components.cpms.api import (
    MeterValuesEvent,
    SessionEvent,
    SessionRef,
    SessionStatus,
    ThorWebhookDecoder,
    WebhookPayloadError,
    WebhookUnknownStationError,
)

from .samples import THOR_BOX, dumps, thor_meters, thor_start_raw, thor_stop, thor_stop_rejected

CONNECTOR = f"{THOR_BOX}_1"


def decoder(*stations: str) -> ThorWebhookDecoder:
    known = stations or (THOR_BOX,)
    return ThorWebhookDecoder(lambda: known)


def decode_one(body: bytes) -> Any:
    [event] = decoder().decode(body, {})
    return event


# --- start ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["api", "local", "remote"])
def test_start_with_the_mode_as_a_second_type_key(mode: str) -> None:
    body = thor_start_raw(mode=mode)
    event = decode_one(body)
    assert isinstance(event, SessionEvent)
    assert event.event_id == hashlib.sha256(body).hexdigest()
    assert event.station_id == THOR_BOX
    assert event.occurred_at is None
    session = event.session
    assert session.id == "42"
    assert session.status is SessionStatus.STARTED
    assert session.connector_id == CONNECTOR
    assert session.ref == SessionRef(thor_id_tag="API-7f3a", thor_transaction=42)


def test_start_written_with_a_mode_key() -> None:
    body = dumps(
        {
            "type": "start",
            "accepted": True,
            "chargebox": THOR_BOX,
            "id": "04A1B2C3",
            "connector": "2",
            "transaction_id": "43",
            "mode": "local",
        }
    )
    session = decode_one(body).session
    assert (session.id, session.connector_id, session.status) == (
        "43",
        f"{THOR_BOX}_2",
        SessionStatus.STARTED,
    )


def test_start_with_only_the_mode_as_type() -> None:
    body = (
        f'{{"type":"api","accepted":true,"chargebox":"{THOR_BOX}","id":"T","connector":1,'
        '"transaction_id":7}'
    ).encode()
    assert decode_one(body).session.status is SessionStatus.STARTED


def test_rejected_start() -> None:
    session = decode_one(thor_start_raw(accepted=False, transaction=0)).session
    assert session.status is SessionStatus.START_FAILED
    assert session.id == "API-7f3a"
    assert session.ref == SessionRef(thor_id_tag="API-7f3a")


@pytest.mark.parametrize(
    ("transaction", "status"), [(9, SessionStatus.STARTED), (0, SessionStatus.START_FAILED)]
)
def test_start_without_accepted_flag_follows_the_transaction(
    transaction: int, status: SessionStatus
) -> None:
    body = dumps(
        {
            "type": "start",
            "chargebox": THOR_BOX,
            "id": "T",
            "connector": 1,
            "transaction_id": transaction,
        }
    )
    assert decode_one(body).session.status is status


# --- stop -----------------------------------------------------------------------


def test_accepted_stop_ends_the_session_with_its_energy() -> None:
    session = decode_one(dumps(thor_stop())).session
    assert session.status is SessionStatus.ENDED
    assert session.id == "42"
    assert session.energy_wh == 7340.0
    assert session.ref == SessionRef(thor_id_tag="API-7f3a", thor_transaction=42)


def test_rejected_stop_keeps_the_session_and_reads_energy() -> None:
    session = decode_one(dumps(thor_stop_rejected())).session
    assert session.status is SessionStatus.STOP_FAILED
    assert session.id == "API-7f3a"
    assert session.energy_wh == 5100.0
    assert session.ref.thor_transaction is None


def test_rejected_stop_without_any_id_uses_the_connector() -> None:
    session = decode_one(dumps(thor_stop_rejected(idTag=""))).session
    assert session.id == CONNECTOR


def test_stop_transaction_not_accepted_failed() -> None:
    session = decode_one(dumps(thor_stop(accepted=False, transaction_id=0))).session
    assert session.status is SessionStatus.STOP_FAILED


def test_msg_stop_accepted_ends() -> None:
    session = decode_one(dumps(thor_stop_rejected(accepted=True, transaction_id=42))).session
    assert (session.status, session.energy_wh) == (SessionStatus.ENDED, 5100.0)


def test_unlock_notice_is_ignored() -> None:
    body = dumps(thor_stop_rejected(unlocked=True, idTag=""))
    assert decoder().decode(body, {}) == []


# --- meters ---------------------------------------------------------------------


def test_meters_in_base_units() -> None:
    body = dumps(
        thor_meters(
            [
                {
                    "measurand": "Energy.Active.Import.Register",
                    "uom": "Wh",
                    "value": 24.5,
                    "phase": "L1-N",
                },
                {"measurand": "Power.Active.Import", "uom": "W", "value": "7400"},
                {"measurand": "Current.Import", "uom": "A", "value": 32, "phase": "L1"},
                {"measurand": "SoC", "uom": "Percent", "Value": "61"},
                {"measurand": "Voltage", "uom": "V", "value": 230},
            ]
        )
    )
    event = decode_one(body)
    assert event == MeterValuesEvent(
        event_id=hashlib.sha256(body).hexdigest(),
        station_id=THOR_BOX,
        connector_id=CONNECTOR,
        ref=SessionRef(thor_id_tag="API-7f3a"),
        energy_wh=2450.0,  # the session's kwh field, not the absolute register
        meter_wh=24.5,  # the register, for the lifetime sensor
        power_w=7400.0,
        current_a=32.0,
        soc=61.0,
    )


def test_meters_in_kilo_units_per_phase() -> None:
    body = dumps(
        thor_meters(
            [
                {"measurand": "Energy.Active.Import.Register", "uom": "kWh", "value": "2.5"},
                {"measurand": "Power.Active.Import", "uom": "kW", "value": 3.6, "phase": "L1"},
                {"measurand": "Power.Active.Import", "uom": "kW", "value": 3.7, "phase": "L2"},
                {"measurand": "Power.Active.Import", "uom": "kW", "value": 3.8, "phase": "L3"},
                {"measurand": "Current.Import", "uom": "A", "value": 15.8, "phase": "L1"},
                {"measurand": "Current.Import", "uom": "A", "value": 16.2, "phase": "L2"},
                {"measurand": "Current.Import", "uom": "A", "value": 15.9, "phase": "L3"},
            ],
            kwh=None,
        )
    )
    event = decode_one(body)
    # Without kwh the session's energy is unknown here: the register is absolute.
    assert (event.energy_wh, event.meter_wh) == (None, 2500.0)
    assert event.power_w == pytest.approx(11100.0)
    assert event.current_a == 16.2  # the most loaded phase
    assert event.soc is None


def test_total_power_wins_over_phases_and_bad_values_are_skipped() -> None:
    body = dumps(
        thor_meters(
            [
                {"measurand": "Power.Active.Import", "uom": "W", "value": 1000, "phase": "L1"},
                {"measurand": "Power.Active.Import", "uom": "W", "value": 3000},
                {"measurand": "Power.Active.Import", "uom": "VA", "value": 5},
                {"measurand": "Current.Import", "value": "n/a"},
                "not a meter",  # type: ignore[list-item]
                {"uom": "Wh", "value": 900},
            ],
            kwh="",
        )
    )
    event = decode_one(body)
    assert event.power_w == 3000.0
    assert event.current_a is None
    assert event.meter_wh == 900.0  # no measurand means the energy register
    assert event.energy_wh is None


def test_meters_without_energy() -> None:
    event = decode_one(dumps(thor_meters([], idTag=None, kwh=None)))
    assert event.energy_wh is None
    assert event.ref == SessionRef()
    unknown_unit = [{"measurand": "Energy.Active.Import.Register", "uom": "varh", "value": 3}]
    assert decode_one(dumps(thor_meters(unknown_unit, kwh=None))).meter_wh is None


def test_meters_not_a_list() -> None:
    event = decode_one(dumps(thor_meters("oops")))  # type: ignore[arg-type]
    assert (event.power_w, event.energy_wh) == (None, 2450.0)


# --- ignored, unknown, malformed --------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"msg": "rfid", "id": "04A1B2C3", "chargebox": THOR_BOX, "type": "authorize"},
        {"msg": "rfid", "id": "04A1B2C3", "chargebox": "elsewhere", "type": "start"},
        {"type": "payment", "chargebox": THOR_BOX},
        {"type": "api", "chargebox": THOR_BOX},
        {},
    ],
)
def test_ignored_messages(payload: dict[str, object]) -> None:
    assert decoder().decode(dumps(payload), {}) == []


@pytest.mark.parametrize(
    "body",
    [thor_start_raw(), dumps(thor_stop()), dumps(thor_stop_rejected()), dumps(thor_meters([]))],
)
def test_unknown_chargebox_is_refused(body: bytes) -> None:
    with pytest.raises(WebhookUnknownStationError):
        decoder("another-box").decode(body, {})


def test_known_stations_are_read_at_every_delivery() -> None:
    known: set[str] = set()
    thor = ThorWebhookDecoder(lambda: known)
    with pytest.raises(WebhookUnknownStationError):
        thor.decode(dumps(thor_stop()), {})
    known.add(THOR_BOX)
    assert thor.decode(dumps(thor_stop()), {})


def test_unicode_ids() -> None:
    for ascii_only in (False, True):
        body = dumps(thor_stop(idTag="Zoë-ä-🚗"), ascii_only=ascii_only)
        assert decode_one(body).session.ref.thor_id_tag == "Zoë-ä-🚗"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xc3\x28",
        b"[1, 2]",
        b"42",
        b"[" * 100_000,
        dumps(thor_stop(chargebox=None)),
        dumps(thor_stop(chargebox=["x"])),
        dumps(thor_stop(connector="one")),
        dumps(thor_stop(connector=None)),
        dumps({k: v for k, v in thor_stop().items() if k != "connector"}),
        dumps(thor_meters([], connector=1.5)),
    ],
)
def test_malformed_bodies_raise_payload_errors(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        decoder().decode(body, {})


def test_a_failing_station_lookup_is_not_hidden() -> None:
    def broken() -> set[str]:
        raise RuntimeError("store not loaded")

    with pytest.raises(RuntimeError):
        ThorWebhookDecoder(broken).decode(dumps(thor_stop()), {})


@pytest.mark.parametrize(
    ("stop_kwh", "expected", "fact"),
    [
        (2450, 2450.0, "Wh"),
        (2.45, 2450.0, "kWh"),
        (2.6, 2600.0, "kWh"),
        (7, 2400.0, "disagrees with the meter values, not used"),
    ],
)
def test_stop_kwh_is_checked_against_the_meters(
    stop_kwh: float, expected: float, fact: str
) -> None:
    """The stop's kwh is read as Wh (the docs), unless the meters of the charge say kWh."""
    thor = decoder()
    thor.decode(dumps(thor_meters([], kwh=2400)), {})
    [event] = thor.decode(dumps(thor_stop(kwh=stop_kwh)), {})
    assert isinstance(event, SessionEvent)
    assert event.session.energy_wh == expected
    assert thor.observations.facts["Thor stop notification kwh"] == fact
    # Without meter values to compare with, the docs' unit stands.
    [alone] = decoder().decode(dumps(thor_stop(kwh=stop_kwh)), {})
    assert isinstance(alone, SessionEvent)
    assert alone.session.energy_wh == stop_kwh
