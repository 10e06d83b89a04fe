"""The state an account's entities show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .api import Connector, Session, Station


@dataclass(kw_only=True)
class ConnectorState:
    """A connector, its current (or last) session, and the current limit set on it."""

    connector: Connector
    session: Session | None = None
    current_limit: float | None = None


@dataclass(kw_only=True)
class CpmsData:
    """Everything the entities show."""

    stations: dict[str, Station] = field(default_factory=dict)
    connectors: dict[str, ConnectorState] = field(default_factory=dict)
    last_webhook: datetime | None = None
