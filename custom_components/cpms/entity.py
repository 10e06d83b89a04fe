"""Base entities: a device per station, a child device per connector, one for the account."""

from __future__ import annotations

from abc import abstractmethod
from asyncio import Semaphore
from collections.abc import Callable, Iterable, Sequence

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import ChildDeviceInfo, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback, EntityPlatform
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import slugify

from .api import Connector, Session, Station
from .const import DOMAIN
from .coordinator import CpmsConfigEntry, CpmsCoordinator
from .data import ConnectorState


def account_device(coordinator: CpmsCoordinator) -> DeviceInfo:
    """The cloud account's device, registered by the coordinator."""
    return DeviceInfo(identifiers={(DOMAIN, coordinator.config_entry.entry_id)})


class CpmsEntity(CoordinatorEntity[CpmsCoordinator]):
    """Any cpms entity: told only of changes to its key, it writes only what changed."""

    _attr_has_entity_name = True
    _attr_device_info: DeviceInfo | ChildDeviceInfo
    _shown: Sequence[object] = ()

    def __init__(self, coordinator: CpmsCoordinator, key: str) -> None:
        """Listen to `key`: the connector, station or account id the entity shows."""
        super().__init__(coordinator)
        self._key = key

    @abstractmethod
    def shown(self) -> Sequence[object]:
        """What the entity shows; its state is written only when this changes."""

    def _current(self) -> Sequence[object]:
        # An unavailable entity shows nothing else, and may no longer have data to read.
        return self.shown() if self.available else ()

    async def async_added_to_hass(self) -> None:
        """Listen to the entity's key as well as to the coordinator's refreshes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_key_listener(self._key, self._handle_coordinator_update)
        )
        self._shown = self._current()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what the entity shows changed."""
        current = self._current()
        if current != self._shown:
            self._shown = current
            self.async_write_ha_state()


class CpmsStationEntity(CpmsEntity):
    """An entity of a station; unavailable once the station leaves the account."""

    def __init__(self, coordinator: CpmsCoordinator, station_id: str, key: str) -> None:
        """Identify the entity by station and key."""
        super().__init__(coordinator, station_id)
        self.station_id = station_id
        self._attr_unique_id = f"{station_id}_{key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, station_id)})

    @property
    def station(self) -> Station:
        """The station as last reported."""
        return self.coordinator.data.stations[self.station_id]

    @property
    def available(self) -> bool:
        """Available while the station is on the account."""
        return super().available and self.station_id in self.coordinator.data.stations


def connector_device_name(station: Station, connector: Connector) -> str:
    """The connector's device name: its station's, then its own ("Garage Connector 1")."""
    return f"{station.name} {connector.label}"


class CpmsConnectorEntity(CpmsEntity):
    """An entity of a connector; unavailable while its station is offline.

    `key` is the entity's English name in snake case (a test holds translations to it).
    """

    def __init__(self, coordinator: CpmsCoordinator, connector_id: str, key: str) -> None:
        """Identify the entity by connector and key."""
        super().__init__(coordinator, connector_id)
        self.connector_id = connector_id
        self._attr_unique_id = f"{connector_id}_{key}"
        connector = self.state_data.connector
        station = coordinator.data.stations[connector.station_id]
        name = connector_device_name(station, connector)
        # A connector is the part of a station that a car plugs into: a child device. Named
        # with its station, so that "Garage Connector 1 Charging" tells stations apart.
        self._attr_device_info = ChildDeviceInfo(
            identifiers={(DOMAIN, connector_id)},
            name=name,
            parent_device_id=coordinator.station_device_ids[connector.station_id],
        )
        self._object_id = slugify(f"{name} {key}")

    @callback
    def add_to_platform_start(
        self, hass: HomeAssistant, platform: EntityPlatform, parallel_updates: Semaphore | None
    ) -> None:
        """Suggest the entity id before Home Assistant derives one.

        It would prefix the child device's name with its parent's, repeating the station: a new
        entity gets the id an earlier device name gave ("garage_connector_1_charging"), while an
        entity already registered keeps its own.
        """
        self.entity_id = f"{platform.domain}.{self._object_id}"
        super().add_to_platform_start(hass, platform, parallel_updates)

    @property
    def state_data(self) -> ConnectorState:
        """The connector, its session and its current limit."""
        return self.coordinator.data.connectors[self.connector_id]

    @property
    def session(self) -> Session | None:
        """The current or last session on this connector."""
        return self.state_data.session

    @property
    def available(self) -> bool:
        """Unavailable when the connector is gone or its station is offline."""
        if not super().available:
            return False
        state = self.coordinator.data.connectors.get(self.connector_id)
        if state is None:
            return False
        station = self.coordinator.data.stations.get(state.connector.station_id)
        return station is not None and station.online is not False


def async_add_dynamic_entities(
    entry: CpmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    per_station: Callable[[CpmsCoordinator, Station], Iterable[Entity]],
    per_connector: Callable[[CpmsCoordinator, Connector], Iterable[Entity]],
) -> None:
    """Add entities for every station and connector, now and whenever the list is read again."""
    coordinator = entry.runtime_data
    known: set[str] = set()

    @callback
    def _async_add_new() -> None:
        entities: list[Entity] = []
        for station in coordinator.data.stations.values():
            if station.id not in known:
                known.add(station.id)
                entities.extend(per_station(coordinator, station))
            for connector in station.connectors:
                if connector.id not in known:
                    known.add(connector.id)
                    entities.extend(per_connector(coordinator, connector))
        if entities:
            async_add_entities(entities)

    _async_add_new()
    entry.async_on_unload(coordinator.async_add_station_listener(_async_add_new))
