"""What the cloud really sent: dialect facts, and a bounded, redacted sample for diagnostics.

The public documentation of both clouds leaves points open (signature input, page base, filter
behaviour, command host, units). The clients and decoders detect the answer at run time and note
it here, and keep the last few deliveries and the shape of the last answers, so that a user's
diagnostics file settles the question. Nothing personal is kept: string values are masked unless
they belong to a short list of vocabulary keys (types, statuses, units), ids and names included;
signature values are cut; answers keep only their keys and value types.
"""

from __future__ import annotations

from collections import OrderedDict, deque
import json
import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__name__)

DELIVERIES_PER_TYPE = 3
MAX_TYPES = 20
MAX_ANSWERS = 40
MAX_DEPTH = 6
MAX_ITEMS = 5
MASK = "**"
# Values of these keys are vocabulary, not data about anyone.
VOCABULARY_KEYS = frozenset(
    {
        "type",
        "object",
        "status",
        "unit",
        "uom",
        "measurand",
        "phase",
        "currency",
        "msg",
        "mode",
        "format",
        "power_type",
        "protocol",
        "chargingstate",
        "message",
        "session_source",
        "context",
    }
)
# Headers whose values are kept; every other value is masked.
SAFE_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})
_KEY_PATTERN = re.compile(r"^[A-Za-z_$][\w$.\[\]-]{0,40}$")
_ID_SEGMENT = re.compile(r"^(?=.*\d)[\w.-]+$")
_SIGNATURE_VALUE = re.compile(r"=([^,]*)")
_HEX = frozenset("0123456789abcdefABCDEF")


class CloudObservations:
    """Facts detected about one account's cloud, and samples of its traffic."""

    def __init__(self) -> None:
        """Start knowing nothing."""
        self.facts: dict[str, str] = {}
        self._deliveries: OrderedDict[str, deque[dict[str, object]]] = OrderedDict()
        self._answers: OrderedDict[str, object] = OrderedDict()

    def note(self, fact: str, value: str) -> bool:
        """Record a detected fact; True (and one log line) when it is new or changed."""
        if self.facts.get(fact) == value:
            return False
        previous = self.facts.get(fact)
        self.facts[fact] = value
        if previous is None:
            _LOGGER.info("Detected %s: %s", fact, value)
        else:
            _LOGGER.warning("%s changed from %s to %s", fact, previous, value)
        return True

    def record_delivery(self, kind: str, headers: Mapping[str, str], body: bytes) -> None:
        """Keep a redacted copy of a webhook delivery, the last few per event type."""
        try:
            payload: object = redact(json.loads(body))
        except ValueError, RecursionError:
            payload = f"<{len(body)} bytes, not JSON>"
        sample = {"headers": redact_headers(headers), "body": payload}
        key = kind or "(none)"
        if key not in self._deliveries and len(self._deliveries) >= MAX_TYPES:
            self._deliveries.popitem(last=False)
        self._deliveries.setdefault(key, deque(maxlen=DELIVERIES_PER_TYPE)).append(sample)
        self._deliveries.move_to_end(key)

    def record_answer(self, method: str, path: str, status: int, body: bytes) -> None:
        """Keep the shape (keys and types) of the last answer to each call, per status."""
        try:
            shape: object = shape_of(json.loads(body)) if body else "empty"
        except ValueError, RecursionError:
            shape = "text"
        key = f"{method} {call_template(path)} → {status}"
        if key not in self._answers and len(self._answers) >= MAX_ANSWERS:
            self._answers.popitem(last=False)
        self._answers[key] = shape
        self._answers.move_to_end(key)

    def as_dict(self) -> dict[str, object]:
        """The sample for diagnostics: already redacted."""
        return {
            "detected": dict(sorted(self.facts.items())),
            "deliveries": {kind: list(samples) for kind, samples in self._deliveries.items()},
            "answers": dict(self._answers),
        }


def call_template(path: str) -> str:
    """Replace the id segments of an API path ("sessions/65ab.../stop" -> "sessions/{id}/stop")."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    return "/".join("{id}" if _ID_SEGMENT.match(s) else s for s in segments)


def redact(value: object, key: str = "", depth: int = 0) -> object:
    """Mask strings except vocabulary, keep numbers and booleans, bound the depth and lists."""
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {
            _safe_key(k): redact(v, k.lower(), depth + 1) for k, v in value.items() if k != "id_tag"
        }
    if isinstance(value, list):
        return [redact(item, key, depth + 1) for item in value[:MAX_ITEMS]]
    if isinstance(value, str):
        return value[:40] if key in VOCABULARY_KEYS else MASK
    return value


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Keep header names; keep safe values, cut signatures, mask the rest."""
    result: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in SAFE_HEADERS:
            result[lower] = value[:80]
        elif "signature" in lower:
            result[lower] = _SIGNATURE_VALUE.sub(_cut, value)[:120]
        else:
            result[lower] = MASK
    return result


def shape_of(value: object, depth: int = 0) -> object:
    """Keys and value types of a JSON value; lists show their first item's shape."""
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {_safe_key(k): shape_of(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [shape_of(value[0], depth + 1)] if value else []
    if value is None:
        return "null"
    return type(value).__name__


def _cut(match: re.Match[str]) -> str:
    """Keep what a signature value is (digits, hex) and its length, not the value."""
    value = match.group(1).strip()
    if value.isdigit():
        kind = "digits"
    elif value and set(value) <= _HEX:
        kind = "hex"
    else:
        kind = "chars"
    return f"=<{len(value)} {kind}>"


def _safe_key(key: str) -> str:
    # Keys are names of fields, except in maps keyed by id (Thor's users).
    return key if _KEY_PATTERN.match(key) and not _ID_SEGMENT.match(key) else MASK
