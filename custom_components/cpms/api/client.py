"""The interface every provider client offers to the integration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .models import Capabilities, Connector, Event, Provider, Session, Station
    from .observe import CloudObservations


class CpmsClient(Protocol):
    """A cloud CPMS account, seen through the normalized model."""

    provider: Provider
    capabilities: Capabilities
    # What the cloud showed of the points its docs leave open, for diagnostics.
    observations: CloudObservations

    async def async_get_stations(self) -> list[Station]:
        """List every station with its connectors, in as few calls as the API allows."""

    async def async_get_active_sessions(self) -> list[Session]:
        """List the sessions that currently hold a connector."""

    async def async_get_session(self, session: Session) -> Session | None:
        """Fetch the authoritative state of a known session; None when the cloud forgot it."""

    async def async_start_session(self, connector: Connector) -> Session:
        """Ask the cloud to start charging; never retried, since a repeat starts twice."""

    async def async_stop_session(self, session: Session, connector: Connector) -> None:
        """Ask the cloud to stop the session; the outcome arrives as a webhook."""


class WebhookDecoder(Protocol):
    """Turns one webhook delivery into normalized events, or refuses it whole."""

    def decode(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        """Verify and parse the raw body; raise a WebhookError for anything not to trust."""


class CurrentLimitClient(Protocol):
    """A provider that can limit the charging current (eDRV)."""

    async def async_set_current_limit(
        self, connector: Connector, session: Session | None, amps: float
    ) -> None:
        """Limit the running session, or the connector's default without one."""


class SessionTargetClient(Protocol):
    """A provider that can end a session by itself at a target (eDRV)."""

    async def async_start_session(
        self,
        connector: Connector,
        *,
        energy_kwh: float | None = None,
        time_min: float | None = None,
        cost: float | None = None,
    ) -> Session:
        """Start charging; the cloud ends the session at the first target reached."""
