"""Defensive readers for provider JSON, where numbers may be strings and units vary."""

from __future__ import annotations

from datetime import UTC, datetime
import math

from .errors import CpmsResponseError

# A delivery holds tens of objects and arrays. Parsing thousands (a deep nesting, say) would
# hold Home Assistant's event loop for milliseconds, so such a body is refused unparsed.
MAX_CONTAINERS = 1000

_POWER_FACTORS = {"w": 1.0, "kw": 1000.0}
_ENERGY_FACTORS = {"wh": 1.0, "kwh": 1000.0}


def as_dict(value: object, what: str) -> dict[str, object]:
    """Return a JSON object or raise CpmsResponseError naming what was expected."""
    if not isinstance(value, dict):
        raise CpmsResponseError(f"{what} is not an object")
    return value


def check_containers(body: bytes) -> None:
    """Raise ValueError for a body with more objects and arrays than any delivery has."""
    if body.count(b"{") + body.count(b"[") > MAX_CONTAINERS:
        raise ValueError(f"more than {MAX_CONTAINERS} objects and arrays")


def as_list(value: object, what: str) -> list[object]:
    """Return a JSON array or raise CpmsResponseError naming what was expected."""
    if not isinstance(value, list):
        raise CpmsResponseError(f"{what} is not a list")
    return value


def optional_dict(value: object) -> dict[str, object]:
    """Return a JSON object, or an empty one for anything else (absent or null)."""
    return value if isinstance(value, dict) else {}


def require_str(value: object, what: str) -> str:
    """Return a non-empty string or raise CpmsResponseError."""
    if not isinstance(value, str) or not value:
        raise CpmsResponseError(f"{what} is missing")
    return value


def to_str(value: object) -> str | None:
    """Return a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def ref_id(value: object) -> str | None:
    """Return an id that may come bare or as a populated object with `_id`."""
    if isinstance(value, dict):
        value = value.get("_id")
    return to_str(value)


def to_float(value: object) -> float | None:
    """Return a finite float from a number or a numeric string ("16.0"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def to_int(value: object) -> int | None:
    """Return an integer from an int, an integral float or a numeric string; else None."""
    number = to_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def require_int(value: object, what: str) -> int:
    """Return an integer (see `to_int`) or raise CpmsResponseError."""
    number = to_int(value)
    if number is None:
        raise CpmsResponseError(f"{what} is missing")
    return number


def to_bool(value: object) -> bool | None:
    """Return a JSON boolean, also accepting "true"/"false" strings; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def folded(value: object) -> str | None:
    """Return a string lower-cased for case-insensitive matching ("Started" == "started")."""
    return value.strip().lower() if isinstance(value, str) else None


def from_iso(value: object) -> datetime | None:
    """Return an aware datetime from an ISO 8601 string; naive times are taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        result = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return result if result.tzinfo else result.replace(tzinfo=UTC)


def from_epoch_ms(value: object) -> datetime | None:
    """Return an aware UTC datetime from epoch milliseconds; None when out of range."""
    millis = to_float(value)
    if millis is None:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except OverflowError, OSError, ValueError:
        return None


def power_w(value: object, unit: object, *, default_unit: str) -> float | None:
    """Return watts from a value in W or kW; None for a missing value or an unknown unit."""
    return _scaled(value, unit, default_unit, _POWER_FACTORS)


def energy_wh(value: object, unit: object, *, default_unit: str) -> float | None:
    """Return watt-hours from a value in Wh or kWh; None for a missing value or unknown unit."""
    return _scaled(value, unit, default_unit, _ENERGY_FACTORS)


def _scaled(
    value: object, unit: object, default_unit: str, factors: dict[str, float]
) -> float | None:
    number = to_float(value)
    factor = factors.get(folded(unit) or default_unit.lower())
    if number is None or factor is None:
        return None
    return number * factor
