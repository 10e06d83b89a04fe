"""The Charging switch of each connector: on starts a session, off stops it."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ConnectorStatus, SessionStatus
from .const import DOMAIN
from .coordinator import CpmsConfigEntry, CpmsCoordinator
from .entity import CpmsConnectorEntity, async_add_dynamic_entities
from .errors import translated_error
from .limit import MIN_CURRENT_A, max_current
from .providers import PROVIDER_NAMES

PARALLEL_UPDATES = 1

# A connector in these states cannot start; a running session can still be stopped.
_CANNOT_START = frozenset({ConnectorStatus.FAULTED, ConnectorStatus.UNAVAILABLE})


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CpmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One Charging switch per connector."""
    async_add_dynamic_entities(
        entry,
        async_add_entities,
        per_station=lambda coordinator, station: [],
        per_connector=lambda coordinator, connector: [
            CpmsChargingSwitch(coordinator, connector.id)
        ],
    )


class CpmsChargingSwitch(CpmsConnectorEntity, SwitchEntity):
    """Shows the commanded state while the cloud confirms, so it does not bounce back."""

    _attr_translation_key = "charging"

    def __init__(self, coordinator: CpmsCoordinator, connector_id: str) -> None:
        """Bind to the connector."""
        super().__init__(coordinator, connector_id, "charging")

    def shown(self) -> tuple[bool]:
        """On or off."""
        return (self.is_on,)

    @property
    def is_on(self) -> bool:
        """The last command until it is carried out; then whether a session runs."""
        if (wanted := self.coordinator.wanted(self.connector_id)) is not None:
            return wanted
        session = self.session
        return (
            session is not None
            and session.status.is_active
            and session.status is not SessionStatus.STOPPING
        )

    @property
    def available(self) -> bool:
        """Unavailable when neither command makes sense."""
        return super().available and (
            self.is_on or self.state_data.connector.status not in _CANNOT_START
        )

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start a session on this connector."""
        await self.coordinator.async_start(self.connector_id)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop this connector's session."""
        await self.coordinator.async_stop(self.connector_id)

    # Actions (services.py)

    async def async_start_charging(
        self,
        energy: float | None = None,
        duration: float | None = None,
        cost: float | None = None,
    ) -> None:
        """Start a session that the cloud ends at the first target reached."""
        targets = {
            key: value
            for key, value in (("energy_kwh", energy), ("time_min", duration), ("cost", cost))
            if value is not None
        }
        if targets and not self.coordinator.client.capabilities.session_targets:
            raise translated_error("targets_not_supported", provider=self._provider)
        await self.coordinator.async_start(self.connector_id, targets)

    async def async_stop_charging(self) -> None:
        """Stop this connector's session."""
        await self.coordinator.async_stop(self.connector_id)

    async def async_set_current_limit(self, current: float) -> None:
        """Limit the charging current, paced as the Current limit number is."""
        if not self.coordinator.client.capabilities.current_limit:
            raise translated_error("current_limit_not_supported", provider=self._provider)
        highest = max_current(self.state_data.connector)
        if not MIN_CURRENT_A <= current <= highest:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="current_out_of_range",
                translation_placeholders={
                    "min": str(MIN_CURRENT_A),
                    "max": f"{highest:g}",
                    "current": f"{current:g}",
                },
            )
        await self.coordinator.async_set_current_limit(self.connector_id, current)

    @property
    def _provider(self) -> str:
        return PROVIDER_NAMES[self.coordinator.client.provider]
