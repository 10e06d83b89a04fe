"""eDRV webhook decoding and signature verification."""

from __future__ import annotations

from datetime import UTC, datetime
import hashlib
import hmac
import json
import re

import pytest

from custom_components.cpms.api import (
    CommandResultEvent,
    ConnectorStatus,
    ConnectorStatusEvent,
    EdrvWebhookDecoder,
    Money,
    SessionEvent,
    SessionRef,
    SessionStatus,
    StationOnlineEvent,
    WebhookPayloadError,
    WebhookSignatureError,
)

from .samples import (
    EDRV_CONNECTOR_2_ID,
    EDRV_CONNECTOR_ID,
    EDRV_SESSION_ID,
    EDRV_STATION_ID,
    dumps,
    edrv_action,
    edrv_session,
    edrv_station,
    edrv_webhook,
)

SECRET = "whsec_3fK9pLq"
NOW = 1_795_000_000.0


def sign(message: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_decoder() -> EdrvWebhookDecoder:
    return EdrvWebhookDecoder(SECRET, clock=lambda: NOW)


def session_body(event_type: str = "session.started", **changes: object) -> bytes:
    return dumps(edrv_webhook(event_type, edrv_session(**changes)))


# --- decoding -----------------------------------------------------------------


def test_session_started_maps_every_field() -> None:
    [event] = EdrvWebhookDecoder(None).decode(session_body(), {})
    assert isinstance(event, SessionEvent)
    assert event.event_id == "644fc18f84c4b5000981ad7b"
    assert event.station_id == EDRV_STATION_ID
    assert event.occurred_at == datetime(2026, 11, 21, 10, 10, 0, 264000, UTC)
    session = event.session
    assert session.id == EDRV_SESSION_ID
    assert session.ref == SessionRef(edrv_session_id=EDRV_SESSION_ID)
    assert session.connector_id == EDRV_CONNECTOR_ID
    assert session.status is SessionStatus.STARTED
    assert session.energy_wh == 1523.5
    assert session.power_w == 11000.0
    assert session.current_a == 16.0
    assert session.soc == 52.0
    assert session.cost == Money(amount=3.25, currency="EUR")
    assert session.started_at == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert session.ended_at is None


@pytest.mark.parametrize(
    ("event_type", "data_status", "expected"),
    [
        ("session.created", "created", SessionStatus.CREATED),
        ("session.updated", "Started", SessionStatus.STARTED),
        ("session.updated", "ENDED", SessionStatus.ENDED),
        ("session.started", "created", SessionStatus.STARTED),
        ("session.ended", "Started", SessionStatus.ENDED),
        ("session.cancelled", "created", SessionStatus.CANCELLED),
        ("session.start_failure", "created", SessionStatus.START_FAILED),
        ("session.stop_failure", "started", SessionStatus.STOP_FAILED),
        ("Session.Ended", "started", SessionStatus.ENDED),
    ],
)
def test_session_status_comes_from_the_type_or_the_data(
    event_type: str, data_status: str, expected: SessionStatus
) -> None:
    [event] = EdrvWebhookDecoder(None).decode(session_body(event_type, status=data_status), {})
    assert isinstance(event, SessionEvent)
    assert event.session.status is expected


def test_session_ended_reads_stop_time_and_watts() -> None:
    body = edrv_session(status="Ended")
    body["metrics"]["chargingStop"] = "2026-11-21T11:00:00Z"
    body["energy_report"]["power"] = {"value": 0, "unit": "W"}
    [event] = EdrvWebhookDecoder(None).decode(dumps(edrv_webhook("session.ended", body)), {})
    assert isinstance(event, SessionEvent)
    assert event.session.ended_at == datetime(2026, 11, 21, 11, 0, tzinfo=UTC)
    assert event.session.power_w == 0.0


def test_session_with_populated_references() -> None:
    body = edrv_session(
        chargestation={"_id": EDRV_STATION_ID, "endpoint": "x"},
        connector={"_id": EDRV_CONNECTOR_ID},
    )
    [event] = EdrvWebhookDecoder(None).decode(dumps(edrv_webhook("session.updated", body)), {})
    assert isinstance(event, SessionEvent)
    assert event.session.station_id == EDRV_STATION_ID
    assert event.session.connector_id == EDRV_CONNECTOR_ID


@pytest.mark.parametrize(
    ("event_type", "online"), [("chargestation.online", True), ("chargestation.offline", False)]
)
def test_station_online_and_offline(event_type: str, online: bool) -> None:
    body = dumps(edrv_webhook(event_type, edrv_station(online=online), object_name="chargestation"))
    [event] = EdrvWebhookDecoder(None).decode(body, {})
    assert event == StationOnlineEvent(
        event_id="644fc18f84c4b5000981ad7b",
        station_id=EDRV_STATION_ID,
        occurred_at=datetime(2026, 11, 21, 10, 10, 0, 264000, UTC),
        online=online,
    )


def test_connector_status_gives_one_event_per_connector() -> None:
    body = dumps(
        edrv_webhook(
            "chargestation.connector_status.updated", edrv_station(), object_name="chargestation"
        )
    )
    events = EdrvWebhookDecoder(None).decode(body, {})
    assert [(e.connector_id, e.status) for e in events if isinstance(e, ConnectorStatusEvent)] == [
        (EDRV_CONNECTOR_ID, ConnectorStatus.PREPARING),
        (EDRV_CONNECTOR_2_ID, ConnectorStatus.SUSPENDED_EV),
    ]
    # Each event of the delivery keeps a distinct, stable id.
    assert len({e.event_id for e in events}) == 2
    assert all(e.event_id.startswith("644fc18f84c4b5000981ad7b/") for e in events)
    assert all(e.station_id == EDRV_STATION_ID for e in events)


@pytest.mark.parametrize(("suffix", "accepted"), [("accepted", True), ("rejected", False)])
def test_set_power_limit_result(suffix: str, accepted: bool) -> None:
    body = dumps(
        edrv_webhook(f"chargestation.set_power_limit.{suffix}", edrv_action(), object_name="action")
    )
    [event] = EdrvWebhookDecoder(None).decode(body, {})
    assert isinstance(event, CommandResultEvent)
    assert event.command == "set_power_limit"
    assert event.accepted is accepted
    assert event.station_id == EDRV_STATION_ID
    assert event.connector_id == EDRV_CONNECTOR_ID
    assert event.message == "Accepted"


def test_set_power_limit_on_a_connector_only() -> None:
    action = edrv_action()
    del action["chargestation"]
    body = dumps(
        edrv_webhook("chargestation.set_power_limit.accepted", action, object_name="action")
    )
    [event] = EdrvWebhookDecoder(None).decode(body, {})
    assert isinstance(event, CommandResultEvent)
    assert event.station_id == ""
    assert event.connector_id == EDRV_CONNECTOR_ID


@pytest.mark.parametrize(
    "payload",
    [
        edrv_webhook("organization.updated", {"_id": "x"}),
        edrv_webhook("chargestation.set_charging_profile.accepted", "not even an object"),
        {"type": "location.created"},
        {"type": None, "data": {}},
        {"object": "session"},
    ],
)
def test_unknown_types_are_ignored(payload: dict[str, object]) -> None:
    assert EdrvWebhookDecoder(None).decode(dumps(payload), {}) == []


@pytest.mark.parametrize(
    ("soc", "expected"),
    [
        ({"value": 0.52, "unit": None}, 52.0),
        ({"value": "0.52"}, 52.0),
        ({"value": 1, "unit": None}, 100.0),
        ({"value": 1, "unit": "Percent"}, 1.0),
        ({"value": "80", "unit": "percent"}, 80.0),
        ({"value": 180, "unit": "Percent"}, None),
        ({"value": None, "unit": "Percent"}, None),
        (None, None),
    ],
)
def test_state_of_charge(soc: object, expected: float | None) -> None:
    body = edrv_session()
    body["energy_report"]["state_of_charge"] = soc
    [event] = EdrvWebhookDecoder(None).decode(dumps(edrv_webhook("session.updated", body)), {})
    assert isinstance(event, SessionEvent)
    assert event.session.soc == expected


def test_missing_report_fields_stay_none() -> None:
    body = edrv_session(status="whatever", energy_report=None, cost={"amount": 2}, metrics={})
    [event] = EdrvWebhookDecoder(None).decode(dumps(edrv_webhook("session.updated", body)), {})
    assert isinstance(event, SessionEvent)
    session = event.session
    assert (session.energy_wh, session.power_w, session.current_a, session.soc) == (None,) * 4
    assert session.cost is None
    assert session.status is SessionStatus.CREATED


# --- signatures -----------------------------------------------------------------


@pytest.mark.parametrize("t_in_ms", [False, True])
@pytest.mark.parametrize("over_t", [False, True])
def test_v1_signature_variants_are_accepted(t_in_ms: bool, over_t: bool) -> None:
    body = session_body()
    t = str(int(NOW * 1000) if t_in_ms else int(NOW))
    signature = sign(t.encode() + b"." + body if over_t else body)
    events = signed_decoder().decode(body, {"edrv-signature": f"t={t},v1={signature}"})
    assert len(events) == 1


def test_legacy_signature_is_accepted() -> None:
    body = session_body()
    events = signed_decoder().decode(body, {"edrv-signature": f"sha256={sign(body)}"})
    assert len(events) == 1


def test_header_name_and_hex_case_do_not_matter() -> None:
    body = session_body()
    header = f"t={int(NOW)}, v1={sign(body).upper()}"
    assert len(signed_decoder().decode(body, {"EDRV-Signature": header})) == 1


def test_any_of_several_v1_signatures_may_match() -> None:
    body = session_body()
    header = f"t={int(NOW)},v1={'0' * 64},v1=zz,v0=abc,v1={sign(body)}"
    assert len(signed_decoder().decode(body, {"edrv-signature": header})) == 1


def test_no_secret_means_no_check() -> None:
    body = session_body()
    assert len(EdrvWebhookDecoder("").decode(body, {"edrv-signature": "t=1,v1=00"})) == 1


@pytest.mark.parametrize(
    "header",
    [
        f"t={int(NOW)},v1={sign(b'something else')}",
        f"t={int(NOW)},v1={sign(b'x', 'another secret')}",
        f"sha256={sign(b'x')}",
        f"t={int(NOW)},v1=not-hex",
        f"t={int(NOW)}",
        "garbage",
        "",
    ],
)
def test_forged_signatures_are_refused(header: str) -> None:
    with pytest.raises(WebhookSignatureError):
        signed_decoder().decode(session_body(), {"edrv-signature": header})


def test_v1_without_timestamp_is_refused() -> None:
    body = session_body()
    with pytest.raises(WebhookSignatureError, match="timestamp"):
        signed_decoder().decode(body, {"edrv-signature": f"v1={sign(body)}"})


def test_missing_header_is_refused() -> None:
    with pytest.raises(WebhookSignatureError, match="missing"):
        signed_decoder().decode(session_body(), {"content-type": "application/json"})


@pytest.mark.parametrize(
    "t", [str(int(NOW) - 301), str(int(NOW) + 301), str(int((NOW - 3600) * 1000)), "nan", "soon"]
)
def test_replayed_or_odd_timestamps_are_refused(t: str) -> None:
    body = session_body()
    with pytest.raises(WebhookSignatureError):
        signed_decoder().decode(body, {"edrv-signature": f"t={t},v1={sign(body)}"})


def test_timestamp_inside_tolerance_is_accepted() -> None:
    body = session_body()
    t = str(int(NOW) - 299)
    assert signed_decoder().decode(body, {"edrv-signature": f"t={t},v1={sign(body)}"})


def test_signature_error_never_shows_the_secret() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        signed_decoder().decode(session_body(), {"edrv-signature": "t=1,v1=00"})
    assert SECRET not in str(caught.value)


# --- unicode --------------------------------------------------------------------


@pytest.mark.parametrize("ascii_only", [False, True])
def test_unicode_body_is_signed_over_its_raw_bytes(ascii_only: bool) -> None:
    body = dumps(
        edrv_webhook("session.updated", edrv_session(user={"_id": "u", "firstname": "Zoë Bär 🚗"})),
        ascii_only=ascii_only,
    )
    assert (b"\\u00eb" in body) is ascii_only
    header = f"t={int(NOW)},v1={sign(body)}"
    decoder = signed_decoder()
    [event] = decoder.decode(body, {"edrv-signature": header})
    assert isinstance(event, SessionEvent)
    assert decoder.observations.facts["eDRV signature"] == "v1 over body (raw bytes), t in seconds"


def _escaped(body: bytes, *, upper: bool) -> bytes:
    escaped = json.dumps(json.loads(body), ensure_ascii=True, separators=(",", ":"))
    if upper:
        escaped = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), escaped)
    return escaped.encode()


@pytest.mark.parametrize("upper", [False, True], ids=["lower-hex", "upper-hex"])
@pytest.mark.parametrize("scheme", ["v1 over body", "v1 over t.body", "sha256 over body"])
def test_signature_over_the_escaped_payload_is_accepted(scheme: str, upper: bool) -> None:
    """eDRV's older page: signed over the payload with non-ASCII escaped, sent as UTF-8."""
    body = dumps(edrv_webhook("session.updated", edrv_session(user={"firstname": "Zoë 🚗"})))
    assert not body.isascii()
    signed = _escaped(body, upper=upper)
    assert b"\\ud83d\\ude97" in signed.lower()  # the car is a surrogate pair
    if scheme == "sha256 over body":
        header = f"sha256={sign(signed)}"
    elif scheme == "v1 over body":
        header = f"t={int(NOW)},v1={sign(signed)}"
    else:
        header = f"t={int(NOW)},v1={sign(f'{int(NOW)}.'.encode() + signed)}"
    decoder = signed_decoder()
    [event] = decoder.decode(body, {"edrv-signature": header})
    assert isinstance(event, SessionEvent)
    variant = decoder.observations.facts["eDRV signature"]
    assert variant.startswith(f"{scheme} (non-ASCII escaped")
    assert ("upper-case hex" in variant) is upper
    # The same signature from another secret, or over another body, still fails.
    with pytest.raises(WebhookSignatureError):
        EdrvWebhookDecoder("other", clock=lambda: NOW).decode(body, {"edrv-signature": header})
    with pytest.raises(WebhookSignatureError):
        signed_decoder().decode(body.replace(b"Zo", b"Jo"), {"edrv-signature": header})


# --- malformed --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe{}",
        b"[]",
        b'"session.started"',
        b"null",
        b"[" * 100_000,
        dumps(edrv_webhook("session.started", None)),
        dumps(edrv_webhook("session.started", [])),
        dumps({**edrv_webhook("session.started", edrv_session()), "_id": None}),
        dumps(edrv_webhook("chargestation.online", {"online": True})),
        dumps(
            edrv_webhook("chargestation.connector_status.updated", edrv_station(connectors=None))
        ),
        dumps(edrv_webhook("chargestation.connector_status.updated", edrv_station(connectors=[1]))),
        dumps(
            edrv_webhook("chargestation.connector_status.updated", edrv_station(connectors=[{}]))
        ),
        dumps(edrv_webhook("chargestation.set_power_limit.accepted", "action")),
    ],
)
def test_malformed_bodies_raise_payload_errors(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        EdrvWebhookDecoder(None).decode(body, {})


@pytest.mark.parametrize(
    "body",
    [
        dumps(edrv_webhook("session.started", {"_id": 1})),
        dumps(edrv_webhook("session.started", edrv_session(chargestation=None))),
        dumps(edrv_webhook("session.started", edrv_session(connector=12))),
        dumps(edrv_webhook("session.ev_charged", {"_id": EDRV_SESSION_ID, "soc": 100})),
        dumps(edrv_webhook("session.energy_report.updated", edrv_session())),
    ],
    ids=["no-ids", "no-station", "bad-connector", "new-type-partial", "new-type-full"],
)
def test_unknown_and_partial_session_events_are_ignored(body: bytes) -> None:
    """eDRV may add session events at any time: they are ignored, not refused."""
    assert signed_decoder().decode(body, {"edrv-signature": f"sha256={sign(body)}"}) == []


def test_malformed_signed_body_raises_payload_error() -> None:
    body = b'{"type": "session.started", "_id": "a", "data": 5}'
    with pytest.raises(WebhookPayloadError):
        signed_decoder().decode(body, {"edrv-signature": f"sha256={sign(body)}"})
