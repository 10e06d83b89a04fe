"""Verify and decode eDRV webhook deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING

from ..errors import WebhookPayloadError, WebhookSignatureError
from ..models import (
    CommandResultEvent,
    ConnectorStatus,
    ConnectorStatusEvent,
    Event,
    SessionEvent,
    SessionStatus,
    StationOnlineEvent,
)
from ..observe import CloudObservations
from ..values import as_dict, as_list, folded, from_iso, ref_id, require_str, to_str
from .parse import parse_session
from .units import EdrvUnits

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_LOGGER = logging.getLogger(__name__)

SIGNATURE_HEADER = "edrv-signature"
# Timestamps above this are milliseconds (1e11 s is the year 5138, 1e11 ms is 1973).
_MS_THRESHOLD = 1e11

_SESSION_STATUS_BY_TYPE = {
    "session.started": SessionStatus.STARTED,
    "session.ended": SessionStatus.ENDED,
    "session.cancelled": SessionStatus.CANCELLED,
    "session.start_failure": SessionStatus.START_FAILED,
    "session.stop_failure": SessionStatus.STOP_FAILED,
}
_STATION_ONLINE_BY_TYPE = {"chargestation.online": True, "chargestation.offline": False}
_POWER_LIMIT_ACCEPTED_BY_TYPE = {
    "chargestation.set_power_limit.accepted": True,
    "chargestation.set_power_limit.rejected": False,
}
_CONNECTOR_STATUS_TYPE = "chargestation.connector_status.updated"
# Session events this decoder knows; others ("we may add more at any time") are ignored.
_SESSION_TYPES = frozenset({*_SESSION_STATUS_BY_TYPE, "session.created", "session.updated"})
FACT_SIGNATURE = "eDRV signature"


class EdrvWebhookDecoder:
    r"""Turns one eDRV delivery into normalized events.

    With a secret, the `edrv-signature` header must hold either
    `t=<ts>,v1=<hex>[,v1=<hex>...]`, the HMAC-SHA256 of the raw body or of
    `<t>.<raw body>` (both accepted, as the docs leave it open), t in seconds
    or milliseconds within `tolerance_s` of now; or the legacy `sha256=<hex>`
    over the raw body. eDRV's older page says the signature covers the payload
    with non-ASCII escaped as `\uXXXX`, so each of these is also tried over
    the body re-escaped that way, in both hex cases. The variant that matched
    is noted in `observations`. An empty secret means no verification.

    Only `v1` over `<t>.<body>` binds the timestamp: with the others a captured delivery
    can be sent again with a fresh `t`. Once a delivery verified with it (or with
    `timestamped_only`), the weaker variants are refused; `on_timestamped` is told once, so
    that the caller can keep this across restarts.
    """

    def __init__(
        self,
        secret: str | None,
        *,
        tolerance_s: float = 300,
        clock: Callable[[], float] | None = None,
        units: EdrvUnits | None = None,
        observations: CloudObservations | None = None,
        timestamped_only: bool = False,
        on_timestamped: Callable[[], None] | None = None,
    ) -> None:
        """Keep the endpoint secret; `clock` returns epoch seconds.

        Without `clock`, time.time is read at each check, so that a patched clock applies.
        `units` and `observations` are the client's, shared so both read sessions alike.
        """
        self._key = secret.encode() if secret else None
        self._tolerance_s = tolerance_s
        self._clock = clock
        self.observations = observations or CloudObservations()
        self._units = units or EdrvUnits(self.observations)
        self._timestamped_only = timestamped_only
        self._on_timestamped = on_timestamped

    def decode(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        """Return the events of a delivery; raise only WebhookError subclasses.

        Unknown event types, and session events too partial to place, give an empty list:
        eDRV adds types at any time and disables an endpoint that keeps refusing.
        """
        try:
            payload = json.loads(body.decode("utf-8"))
        except ValueError, RecursionError:
            payload = None
        kind = folded(payload.get("type")) if isinstance(payload, dict) else None
        self.observations.record_delivery(kind or "", headers, body)
        if self._key is not None:
            header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
            variant = self._verify(self._key, body, header)
            self.observations.note(FACT_SIGNATURE, variant)
        try:
            return _events(payload, self._units)
        except Exception as err:
            # Any shape surprise in the payload is a bad delivery, not a crash.
            raise WebhookPayloadError(f"unreadable eDRV webhook: {type(err).__name__}") from err

    def _verify(self, key: bytes, body: bytes, header: str | None) -> str:
        """Return the variant that matched ("v1 over t.body, escaped", ...) or raise."""
        if not header:
            raise WebhookSignatureError(f"missing {SIGNATURE_HEADER} header")
        elements: dict[str, list[str]] = {}
        for element in header.split(","):
            name, _, value = element.strip().partition("=")
            # Other schemes are kept but unused: the docs allow new ones beside v1.
            elements.setdefault(name.strip().lower(), []).append(value.strip())
        timestamp = elements.get("t", [None])[-1]
        v1, legacy = elements.get("v1", []), elements.get("sha256", [])
        forms = _signed_forms(body)
        if v1:
            if timestamp is None:
                raise WebhookSignatureError("signature has no timestamp")
            unit = self._check_age(timestamp)
            for form, signed in forms:
                if _any_match(v1, _mac(key, timestamp.encode() + b"." + signed)):
                    self._timestamped()
                    return f"v1 over t.body ({form}), t in {unit}"
        weaker = v1 or legacy
        for form, signed in forms:
            if weaker and _any_match(weaker, _mac(key, signed)):
                if self._timestamped_only:
                    raise WebhookSignatureError(
                        "signature without its timestamp, after deliveries signed with one"
                    )
                return f"v1 over body ({form}), t in {unit}" if v1 else f"sha256 over body ({form})"
        raise WebhookSignatureError("signature does not match")

    def _timestamped(self) -> None:
        if not self._timestamped_only:
            self._timestamped_only = True
            if self._on_timestamped is not None:
                self._on_timestamped()

    def _check_age(self, timestamp: str) -> str:
        """Refuse a timestamp outside the tolerance; return its unit."""
        try:
            seconds = float(timestamp)
        except ValueError:
            raise WebhookSignatureError("signature timestamp is not a number") from None
        unit = "seconds"
        if seconds > _MS_THRESHOLD:
            seconds /= 1000
            unit = "milliseconds"
        # A NaN fails this comparison too, so it is refused.
        now = self._clock() if self._clock else time.time()
        if not abs(now - seconds) <= self._tolerance_s:
            raise WebhookSignatureError("signature timestamp is outside the tolerance")
        return unit


def _signed_forms(body: bytes) -> list[tuple[str, bytes]]:
    """The body as received, and re-escaped (lower and upper hex) when it is not ASCII."""
    forms = [("raw bytes", body)]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return forms
    if not text.isascii():
        forms.append(("non-ASCII escaped", _escape(text, "x")))
        forms.append(("non-ASCII escaped, upper-case hex", _escape(text, "X")))
    return forms


def _escape(text: str, case: str) -> bytes:
    r"""Write every non-ASCII character as \uXXXX, beyond the BMP as a surrogate pair."""
    encoded = text.encode("utf-16-be", "surrogatepass")
    units = (int.from_bytes(encoded[i : i + 2]) for i in range(0, len(encoded), 2))
    return "".join(chr(unit) if unit < 0x80 else f"\\u{unit:04{case}}" for unit in units).encode(
        "ascii"
    )


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _any_match(candidates: list[str], expected: bytes) -> bool:
    """Compare every given hex signature with the expected digest, in constant time."""
    for candidate in candidates:
        try:
            given = bytes.fromhex(candidate)
        except ValueError:
            continue
        if hmac.compare_digest(given, expected):
            return True
    return False


def _events(payload: object, units: EdrvUnits) -> list[Event]:
    envelope = as_dict(payload, "webhook")
    kind = folded(envelope.get("type")) or ""
    if not (
        kind in _SESSION_TYPES
        or kind in _STATION_ONLINE_BY_TYPE
        or kind in _POWER_LIMIT_ACCEPTED_BY_TYPE
        or kind == _CONNECTOR_STATUS_TYPE
    ):
        return []
    event_id = require_str(envelope.get("_id"), "webhook _id")
    occurred_at = from_iso(envelope.get("createdAt"))
    data = as_dict(envelope.get("data"), "webhook data")
    if kind in _SESSION_TYPES:
        if not all(ref_id(data.get(key)) for key in ("_id", "chargestation", "connector")):
            _LOGGER.debug("Ignored a partial %s", kind)
            return []
        session = parse_session(data, units, _SESSION_STATUS_BY_TYPE.get(kind))
        return [
            SessionEvent(
                event_id=event_id,
                station_id=session.station_id,
                occurred_at=occurred_at,
                session=session,
            )
        ]
    if kind in _POWER_LIMIT_ACCEPTED_BY_TYPE:
        return [
            CommandResultEvent(
                event_id=event_id,
                # An action on a connector's default limit may not name its station.
                station_id=ref_id(data.get("chargestation")) or "",
                occurred_at=occurred_at,
                command="set_power_limit",
                accepted=_POWER_LIMIT_ACCEPTED_BY_TYPE[kind],
                connector_id=ref_id(data.get("connector")),
                message=to_str(data.get("status")),
            )
        ]
    station_id = require_str(data.get("_id"), "chargestation _id")
    units.learn_station(station_id, data.get("protocol"))
    if kind in _STATION_ONLINE_BY_TYPE:
        return [
            StationOnlineEvent(
                event_id=event_id,
                station_id=station_id,
                occurred_at=occurred_at,
                online=_STATION_ONLINE_BY_TYPE[kind],
            )
        ]
    events: list[Event] = []
    for item in as_list(data.get("connectors"), "chargestation connectors"):
        connector = as_dict(item, "connector")
        connector_id = require_str(connector.get("_id"), "connector _id")
        events.append(
            ConnectorStatusEvent(
                # One delivery holds several connectors; each event needs its own id.
                event_id=f"{event_id}/{connector_id}",
                station_id=station_id,
                occurred_at=occurred_at,
                connector_id=connector_id,
                status=ConnectorStatus.parse(connector.get("status")),
            )
        )
    return events
