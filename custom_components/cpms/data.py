"""What a loaded account holds, and the state its entities show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .api import Connector, CpmsClient, Session, Station

if TYPE_CHECKING:
    from .coordinator import CpmsCoordinator
    from .webhook import CpmsWebhook

type CpmsConfigEntry = ConfigEntry[CpmsRuntimeData]


@dataclass(kw_only=True)
class CpmsRuntimeData:
    """What a loaded entry holds."""

    client: CpmsClient
    coordinator: CpmsCoordinator
    webhook: CpmsWebhook


@dataclass(kw_only=True)
class ConnectorState:
    """A connector and its current (or last) session."""

    connector: Connector
    session: Session | None = None


@dataclass(kw_only=True)
class CpmsData:
    """Everything the entities show."""

    stations: dict[str, Station] = field(default_factory=dict)
    connectors: dict[str, ConnectorState] = field(default_factory=dict)
    last_webhook: datetime | None = None
