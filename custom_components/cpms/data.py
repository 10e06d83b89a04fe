"""The state an account's entities show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
