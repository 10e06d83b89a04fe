"""The state an account's entities show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .api import Connector, Session, Station
from .meter import MeterRegister


@dataclass(kw_only=True)
class ConnectorState:
    """A connector, its current (or last) session, the current limit and its meter register.

    `current_limit` is the limit in force; `requested_limit` one waiting to be sent.
    """

    connector: Connector
    session: Session | None = None
    current_limit: float | None = None
    requested_limit: float | None = None
    meter: MeterRegister = field(default_factory=MeterRegister)


@dataclass(kw_only=True)
class CpmsData:
    """Everything the entities show."""

    stations: dict[str, Station] = field(default_factory=dict)
    connectors: dict[str, ConnectorState] = field(default_factory=dict)
    last_webhook: datetime | None = None


class Refusal(StrEnum):
    """Why a webhook delivery was refused."""

    SIGNATURE = "signature"
    UNKNOWN_STATION = "unknown_station"
    MALFORMED = "malformed"


@dataclass(kw_only=True)
class Deliveries:
    """Webhook deliveries since the entry was set up: accepted, and refused by reason."""

    accepted: int = 0
    refused: Counter[Refusal] = field(default_factory=Counter)
    # Refused since the last accepted one, and the latest reason: what the repair issue says.
    refused_in_a_row: int = 0
    last_refusal: Refusal | None = None

    def accept(self) -> None:
        """Count a verified delivery."""
        self.accepted += 1
        self.refused_in_a_row = 0

    def refuse(self, reason: Refusal) -> None:
        """Count a refused delivery."""
        self.refused[reason] += 1
        self.refused_in_a_row += 1
        self.last_refusal = reason
