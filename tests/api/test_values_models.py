"""Defensive value readers and the normalized model's own helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from custom_components.cpms.api import ConnectorStatus, SessionRef, SessionStatus
from custom_components.cpms.api.edrv.parse import parse_session_status
from custom_components.cpms.api.values import (
    energy_wh,
    from_epoch_ms,
    from_iso,
    power_w,
    to_bool,
    to_float,
    to_int,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        ("16.0", 16.0),
        (" 7 ", 7.0),
        ("abc", None),
        (True, None),
        (None, None),
        ("inf", None),
        (float("nan"), None),
        ([1], None),
    ],
)
def test_to_float(value: object, expected: float | None) -> None:
    assert to_float(value) == expected


def test_to_int_and_bool() -> None:
    assert (to_int("42"), to_int(4.0), to_int(4.5), to_int("x")) == (42, 4, None, None)
    assert (to_bool(True), to_bool(" TRUE "), to_bool("false"), to_bool(1), to_bool("y")) == (
        True,
        True,
        False,
        None,
        None,
    )


def test_times() -> None:
    assert from_iso("2026-11-21T10:00:00Z") == datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert from_iso("2026-11-21T10:00:00") == datetime(2026, 11, 21, 10, tzinfo=UTC)
    offset = from_iso("2026-11-21T11:00:00+01:00")
    assert offset == datetime(2026, 11, 21, 11, tzinfo=timezone(timedelta(hours=1)))
    assert (from_iso("yesterday"), from_iso(1)) == (None, None)
    assert from_epoch_ms(1_795_000_000_000) == datetime.fromtimestamp(1_795_000_000, UTC)
    assert from_epoch_ms("1795000000000") == from_epoch_ms(1_795_000_000_000)
    assert (from_epoch_ms(10**20), from_epoch_ms(None)) == (None, None)


def test_units() -> None:
    assert power_w("11.0", "kW", default_unit="W") == 11000
    assert power_w(500, None, default_unit="W") == 500
    assert power_w(1, "kVA", default_unit="W") is None
    assert energy_wh(2.5, "KWH", default_unit="Wh") == 2500
    assert energy_wh(None, "Wh", default_unit="Wh") is None


def test_unknown_edrv_status_is_read_from_the_metrics() -> None:
    assert parse_session_status("Completed", {"chargingStop": "2026-11-21T11:00:00Z"}) is (
        SessionStatus.ENDED
    )
    assert parse_session_status(None, {"chargingStart": "2026-11-21T10:00:00Z"}) is (
        SessionStatus.STARTED
    )
    assert parse_session_status(42, {}) is SessionStatus.CREATED
    assert parse_session_status("canceled", {}) is SessionStatus.CANCELLED


def test_connector_status_spellings() -> None:
    assert ConnectorStatus.parse("SuspendedEVSE") is ConnectorStatus.SUSPENDED_EVSE
    assert ConnectorStatus.parse("suspended_ev") is ConnectorStatus.SUSPENDED_EV
    assert ConnectorStatus.parse("Occupied") is ConnectorStatus.UNKNOWN
    assert ConnectorStatus.parse(None) is ConnectorStatus.UNKNOWN


def test_session_status_activity() -> None:
    assert SessionStatus.STOP_FAILED.is_active
    assert SessionStatus.REQUESTED.is_active
    assert not SessionStatus.START_FAILED.is_active
    assert not SessionStatus.ENDED.is_active


def test_session_ref_round_trip() -> None:
    ref = SessionRef(thor_id_tag="TAG", thor_transaction=42)
    stored: dict[str, object] = {**ref.as_dict()}
    assert SessionRef.from_dict(stored) == ref
    odd: dict[str, object] = {"edrv_session_id": 5, "thor_id_tag": None, "thor_transaction": True}
    assert SessionRef.from_dict(odd) == SessionRef()


def test_session_ref_matching() -> None:
    assert SessionRef(edrv_session_id="a").matches(SessionRef(edrv_session_id="a"))
    assert not SessionRef(edrv_session_id="a").matches(SessionRef(edrv_session_id="b"))
    tagged = SessionRef(thor_id_tag="CARD", thor_transaction=1)
    assert not tagged.matches(SessionRef(thor_id_tag="CARD", thor_transaction=2))
    assert tagged.matches(SessionRef(thor_id_tag="CARD"))
    assert not SessionRef().matches(SessionRef())
