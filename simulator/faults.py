"""Faults a test can switch on: slow or failing API calls, and misbehaving webhooks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from .errors import SimulatorError

if TYPE_CHECKING:
    from collections.abc import Mapping

# How each field is checked when faults arrive as JSON.
_FIELD_KINDS = {
    "latency_s": "seconds",
    "error_rate_5xx": "rate",
    "rate_limit_next": "count",
    "retry_after_s": "count",
    "key_revoked": "flag",
    "fail_next_start": "text",
    "fail_next_stop": "text",
    "refuse_requests": "text",
    "webhook_drop": "count",
    "webhook_duplicate": "flag",
    "webhook_reorder": "flag",
    "webhook_delay_s": "seconds",
    "webhook_hold": "flag",
}


@dataclass(slots=True, kw_only=True)
class Faults:
    """Mutable fault switches shared by the API gateway and the webhook queues.

    latency_s, webhook_delay_s: real seconds added before each API answer / webhook delivery.
    error_rate_5xx: share of API requests answered 500 (seeded, so runs repeat).
    rate_limit_next: the next N API requests get 429 (eDRV with Retry-After: retry_after_s).
    key_revoked: every API key is refused (eDRV 401 "jwt expired", Thor 403 APIKeyNotFound).
    fail_next_start: the next start call fails. "<status> <message>" sets both; a bare Thor code
        gets its documented status; anything else is a 400 with that message.
    fail_next_stop: the next stop call. "<status> <message>" fails the call itself; any other text
        lets the call succeed and the station reject the stop (eDRV session.stop_failure, Thor
        msg "stop" accepted false), and the session goes on.
    refuse_requests: every API request fails with "<status> <message>", as a disabled API or an
        address the provider does not allow (Thor 403 RestAPINotEnabled, InvalidSourceIPAddr).
    webhook_drop: the next N webhooks are never sent.
    webhook_duplicate: every webhook is delivered twice, byte for byte.
    webhook_reorder: webhooks waiting together in the queue go out in swapped pairs.
    webhook_hold: webhooks are kept back, in order, until it is switched off; they go out with
        the next webhook or flush. A delay in simulated time (minutes) on a manual clock.
    """

    latency_s: float = 0.0
    error_rate_5xx: float = 0.0
    rate_limit_next: int = 0
    retry_after_s: int = 30
    key_revoked: bool = False
    fail_next_start: str | None = None
    fail_next_stop: str | None = None
    refuse_requests: str | None = None
    webhook_drop: int = 0
    webhook_duplicate: bool = False
    webhook_reorder: bool = False
    webhook_delay_s: float = 0.0
    webhook_hold: bool = False

    def as_dict(self) -> dict[str, object]:
        """Return the switches as JSON-ready values."""
        return asdict(self)

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply a partial update after checking all of it; raise SimulatorError if wrong."""
        checked = {name: _check(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def take_start_failure(self) -> str | None:
        """Consume the start failure, if one is armed."""
        failure, self.fail_next_start = self.fail_next_start, None
        return failure

    def take_stop_failure(self) -> str | None:
        """Consume the stop failure, if one is armed."""
        failure, self.fail_next_stop = self.fail_next_stop, None
        return failure


def split_status(text: str) -> tuple[int | None, str]:
    """Split "406 Chargestation is offline" into (406, message); (None, text) without a status."""
    head, _, rest = text.strip().partition(" ")
    if head.isdigit() and 400 <= int(head) <= 599:
        status = int(head)
        return status, rest.strip() or HTTPStatus(status).phrase
    return None, text.strip()


def _check(name: str, value: object) -> object:
    kind = _FIELD_KINDS.get(name)
    if kind is None:
        raise SimulatorError(f"unknown fault {name!r}; known: {', '.join(_FIELD_KINDS)}")
    if kind == "flag" and isinstance(value, bool):
        return value
    if kind == "text" and (value is None or (isinstance(value, str) and value.strip())):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        if kind == "count" and isinstance(value, int):
            return value
        if kind == "seconds" or (kind == "rate" and value <= 1):
            return float(value)
    expected = {
        "flag": "true or false",
        "count": "an integer >= 0",
        "seconds": "a number >= 0",
        "rate": "a number from 0 to 1",
        "text": "a non-empty string or null",
    }[kind]
    raise SimulatorError(f"fault {name!r} must be {expected}, got {value!r}")
