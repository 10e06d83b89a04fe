r"""Dialects: each plausible reading of what the clouds' documentation leaves open.

The default dialect of each cloud ("docs") follows the documentation's own samples and words
where they exist; every other plausible answer is a dialect of its own, switched per provider
with `--edrv-dialect`/`--thor-dialect`, `POST /_sim/dialect` or `Simulator.set_dialect`.

eDRV "docs":
- Webhooks signed `t=<seconds>,v1=<hex>` (the current page's header) over the payload with
  non-ASCII escaped as `\uXXXX` (the only signing recipe the docs spell out), sent as UTF-8.
- `status=` matches the stored value exactly, spelled as in the samples ("Started", "Ended",
  "created", "cancelled"); `connector=` is honoured; pages are 1-based.
- POST /sessions and the stop answer the envelope with the session as `result`.
- A connector's default power-limit action names the connector only ("chargestation|connector").
- Only the documented session events are sent.

Thor "docs":
- Reads on the read host, commands (start, stop) on the command host that the start and stop
  pages name (dev.api.thor.tools, a second path prefix here); the read host refuses commands
  with 403 APIKeyNotFound.
- Meter notifications carry `kwh` (Wh); the stop notification's `kwh` is in Wh too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from .errors import SimulatorError
from .world import Provider

type SignatureScheme = Literal["v1_body", "v1_t_body", "legacy"]
type StopAnswer = Literal["session", "no_result", "empty"]
type StatusFilter = Literal["exact", "folded", "ignored"]
type CommandHost = Literal["command", "read"]

SIGNATURE_SCHEMES: tuple[SignatureScheme, ...] = ("v1_body", "v1_t_body", "legacy")


@dataclass(frozen=True, slots=True, kw_only=True)
class EdrvDialect:
    """How the simulated eDRV answers where the documentation is silent."""

    name: str = "docs"
    signature: SignatureScheme = "v1_body"
    signature_ms: bool = False
    signature_escaped: bool = True
    stop_answer: StopAnswer = "session"
    status_filter: StatusFilter = "exact"
    connector_filter: bool = True
    page_base: int = 1
    start_result_full: bool = True
    action_names_station: bool = False
    new_session_events: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ThorDialect:
    """How the simulated Thor answers where the documentation is silent."""

    name: str = "docs"
    command_host: CommandHost = "command"
    meters_kwh: bool = True
    stop_kwh_in_kwh: bool = False


_EDRV_BASE = EdrvDialect()
_THOR_BASE = ThorDialect()

EDRV_DIALECTS: dict[str, EdrvDialect] = {
    dialect.name: dialect
    for dialect in (
        _EDRV_BASE,
        # The signature over the bytes as sent (a third-party description), t in ms.
        replace(_EDRV_BASE, name="v1-raw-ms", signature_escaped=False, signature_ms=True),
        # Stripe's recipe: "<t>.<body>".
        replace(_EDRV_BASE, name="v1-t-body", signature="v1_t_body", signature_escaped=False),
        replace(_EDRV_BASE, name="v1-t-body-escaped", signature="v1_t_body"),
        # The older page: `sha256=<hex>` over the escaped payload.
        replace(_EDRV_BASE, name="legacy-escaped", signature="legacy"),
        replace(_EDRV_BASE, name="stop-no-result", stop_answer="no_result"),
        replace(_EDRV_BASE, name="stop-empty", stop_answer="empty"),
        replace(_EDRV_BASE, name="filters-folded", status_filter="folded"),
        replace(
            _EDRV_BASE, name="filters-ignored", status_filter="ignored", connector_filter=False
        ),
        replace(_EDRV_BASE, name="pages-0-based", page_base=0),
        replace(_EDRV_BASE, name="start-id-only", start_result_full=False),
        replace(_EDRV_BASE, name="action-with-station", action_names_station=True),
        replace(_EDRV_BASE, name="new-events", new_session_events=True),
    )
}

THOR_DIALECTS: dict[str, ThorDialect] = {
    dialect.name: dialect
    for dialect in (
        _THOR_BASE,
        # One host for everything; the command host does not know the key.
        replace(_THOR_BASE, name="one-host", command_host="read"),
        replace(_THOR_BASE, name="meters-without-kwh", meters_kwh=False),
        replace(_THOR_BASE, name="stop-kwh-in-kwh", stop_kwh_in_kwh=True),
    )
}


def dialect_names(provider: str) -> list[str]:
    """Return the dialect names of a provider, "docs" first."""
    return list(EDRV_DIALECTS if provider == Provider.EDRV else THOR_DIALECTS)


@dataclass(slots=True)
class Dialects:
    """The dialect each simulated cloud speaks now; switchable while running."""

    edrv: EdrvDialect = _EDRV_BASE
    thor: ThorDialect = _THOR_BASE

    def set(self, provider: str, name: str) -> None:
        """Switch one provider's dialect by name; SimulatorError for an unknown one."""
        if provider == Provider.EDRV and name in EDRV_DIALECTS:
            self.edrv = EDRV_DIALECTS[name]
        elif provider == Provider.THOR and name in THOR_DIALECTS:
            self.thor = THOR_DIALECTS[name]
        elif provider in {Provider.EDRV, Provider.THOR}:
            known = ", ".join(dialect_names(provider))
            raise SimulatorError(f"no {provider} dialect {name!r}; known: {known}")
        else:
            raise SimulatorError(f"provider must be edrv or thor, not {provider!r}")

    def as_dict(self) -> dict[str, str]:
        """Return the dialect names in force."""
        return {Provider.EDRV.value: self.edrv.name, Provider.THOR.value: self.thor.name}


def escape_non_ascii(body: bytes) -> bytes:
    r"""Return a UTF-8 JSON body with every non-ASCII character written as `\uXXXX`.

    Characters outside the Basic Multilingual Plane become surrogate pairs, as JSON requires.
    """
    text = body.decode("utf-8")
    if text.isascii():
        return body
    out: list[str] = []
    for char in text:
        code = ord(char)
        if code < 0x80:
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out).encode("ascii")
