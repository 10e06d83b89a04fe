"""The charging current limit of each connector, where the provider can set one (eDRV)."""

from __future__ import annotations

from homeassistant.components.number import NumberDeviceClass, NumberEntity, NumberMode
from homeassistant.const import UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import CpmsConfigEntry, CpmsCoordinator
from .entity import CpmsConnectorEntity, async_add_dynamic_entities
from .limit import MIN_CURRENT_A, max_current

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CpmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A current limit per connector, where the provider supports it."""
    if not entry.runtime_data.client.capabilities.current_limit:
        return
    async_add_dynamic_entities(
        entry,
        async_add_entities,
        per_station=lambda coordinator, station: [],
        per_connector=lambda coordinator, connector: [CpmsCurrentLimit(coordinator, connector.id)],
    )


class CpmsCurrentLimit(CpmsConnectorEntity, NumberEntity):
    """Limits the running session, or the connector's default when nothing charges."""

    # Not a configuration entity: automations move it while a session runs. A box shows the
    # value, which a slider on the device page does not.
    _attr_device_class = NumberDeviceClass.CURRENT
    _attr_mode = NumberMode.BOX
    _attr_native_min_value = MIN_CURRENT_A
    _attr_native_step = 1
    _attr_native_unit_of_measurement = UnitOfElectricCurrent.AMPERE
    _attr_translation_key = "current_limit"

    def __init__(self, coordinator: CpmsCoordinator, connector_id: str) -> None:
        """Bind to the connector."""
        super().__init__(coordinator, connector_id, "current_limit")

    def shown(self) -> tuple[float | None, float]:
        """The limit and its range."""
        return (self.native_value, self.native_max_value)

    @property
    def native_max_value(self) -> float:
        """The connector's rated current."""
        return max_current(self.state_data.connector)

    @property
    def native_value(self) -> float | None:
        """The limit asked for from Home Assistant, even while it waits; unknown before."""
        state = self.state_data
        return state.current_limit if state.requested_limit is None else state.requested_limit

    async def async_set_native_value(self, value: float) -> None:
        """Ask for the limit, paced; the station's refusal arrives later and reverts it."""
        await self.coordinator.async_set_current_limit(self.connector_id, value)
