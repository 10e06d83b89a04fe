"""Whether each station is connected to the cloud."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import CpmsConfigEntry, CpmsCoordinator
from .entity import CpmsStationEntity, async_add_dynamic_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CpmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One connectivity sensor per station."""
    async_add_dynamic_entities(
        entry,
        async_add_entities,
        per_station=lambda coordinator, station: [CpmsOnlineSensor(coordinator, station.id)],
        per_connector=lambda coordinator, connector: [],
    )


class CpmsOnlineSensor(CpmsStationEntity, BinarySensorEntity):
    """On while the station holds its connection to the cloud."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "online"

    def __init__(self, coordinator: CpmsCoordinator, station_id: str) -> None:
        """Bind to the station."""
        super().__init__(coordinator, station_id, "online")

    def shown(self) -> tuple[bool | None]:
        """Online, offline or unknown."""
        return (self.is_on,)

    @property
    def is_on(self) -> bool | None:
        """Unknown until the provider has said."""
        return self.station.online
