"""Verify and decode eDRV webhook deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
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
from ..values import as_dict, as_list, folded, from_iso, ref_id, require_str, to_str
from .parse import parse_session

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

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


class EdrvWebhookDecoder:
    """Turns one eDRV delivery into normalized events.

    With a secret, the `edrv-signature` header must hold either
    `t=<ts>,v1=<hex>[,v1=<hex>...]`, the HMAC-SHA256 of the raw body or of
    `<t>.<raw body>` (both accepted, as the docs leave it open), t in seconds
    or milliseconds within `tolerance_s` of now; or the legacy `sha256=<hex>`
    over the raw body. An empty secret means no verification.

    Only `v1` over `<t>.<raw body>` binds the timestamp: with the others a captured delivery
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
        timestamped_only: bool = False,
        on_timestamped: Callable[[], None] | None = None,
    ) -> None:
        """Keep the endpoint secret; `clock` returns epoch seconds.

        Without `clock`, time.time is read at each check, so that a patched clock applies.
        """
        self._key = secret.encode() if secret else None
        self._tolerance_s = tolerance_s
        self._clock = clock
        self._timestamped_only = timestamped_only
        self._on_timestamped = on_timestamped

    def decode(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        """Return the events of a delivery; raise only WebhookError subclasses.

        Unknown event types give an empty list, as eDRV adds types at any time.
        """
        if self._key is not None:
            header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
            self._verify(self._key, body, header)
        try:
            return _events(json.loads(body.decode("utf-8")))
        except Exception as err:
            # Any shape surprise in the payload is a bad delivery, not a crash.
            raise WebhookPayloadError(f"unreadable eDRV webhook: {type(err).__name__}") from err

    def _verify(self, key: bytes, body: bytes, header: str | None) -> None:
        if not header:
            raise WebhookSignatureError(f"missing {SIGNATURE_HEADER} header")
        timestamp: str | None = None
        v1: list[str] = []
        legacy: list[str] = []
        for element in header.split(","):
            name, _, value = element.strip().partition("=")
            name, value = name.strip().lower(), value.strip()
            # Other schemes are skipped: the docs allow new ones beside v1.
            if name == "t":
                timestamp = value
            elif name == "v1":
                v1.append(value)
            elif name == "sha256":
                legacy.append(value)
        if v1:
            if timestamp is None:
                raise WebhookSignatureError("signature has no timestamp")
            self._check_age(timestamp)
            if _any_match(v1, (_mac(key, timestamp.encode() + b"." + body),)):
                self._timestamped()
                return
        weaker = v1 or legacy
        if weaker and _any_match(weaker, (_mac(key, body),)):
            if not self._timestamped_only:
                return
            raise WebhookSignatureError(
                "signature without its timestamp, after deliveries signed with one"
            )
        raise WebhookSignatureError("signature does not match")

    def _timestamped(self) -> None:
        if not self._timestamped_only:
            self._timestamped_only = True
            if self._on_timestamped is not None:
                self._on_timestamped()

    def _check_age(self, timestamp: str) -> None:
        try:
            seconds = float(timestamp)
        except ValueError:
            raise WebhookSignatureError("signature timestamp is not a number") from None
        if seconds > _MS_THRESHOLD:
            seconds /= 1000
        # A NaN fails this comparison too, so it is refused.
        now = self._clock() if self._clock else time.time()
        if not abs(now - seconds) <= self._tolerance_s:
            raise WebhookSignatureError("signature timestamp is outside the tolerance")


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _any_match(candidates: list[str], digests: Iterable[bytes]) -> bool:
    """Compare every given hex signature with every expected digest, in constant time."""
    given: list[bytes] = []
    for candidate in candidates:
        try:
            given.append(bytes.fromhex(candidate))
        except ValueError:
            continue
    expected = list(digests)
    return any(hmac.compare_digest(g, e) for g in given for e in expected)


def _events(payload: object) -> list[Event]:
    envelope = as_dict(payload, "webhook")
    kind = folded(envelope.get("type")) or ""
    if not (
        kind.startswith("session.")
        or kind in _STATION_ONLINE_BY_TYPE
        or kind in _POWER_LIMIT_ACCEPTED_BY_TYPE
        or kind == _CONNECTOR_STATUS_TYPE
    ):
        return []
    event_id = require_str(envelope.get("_id"), "webhook _id")
    occurred_at = from_iso(envelope.get("createdAt"))
    data = as_dict(envelope.get("data"), "webhook data")
    if kind.startswith("session."):
        session = parse_session(data, _SESSION_STATUS_BY_TYPE.get(kind))
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
