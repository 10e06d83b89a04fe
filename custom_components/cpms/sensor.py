"""Session and connector sensors, and the time of the account's last webhook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import Capabilities, ConnectorStatus, Session, SessionStatus
from .coordinator import CpmsConfigEntry, CpmsCoordinator
from .data import ConnectorState
from .entity import CpmsConnectorEntity, CpmsEntity, account_device, async_add_dynamic_entities

PARALLEL_UPDATES = 0

_SESSION_STATES = {
    SessionStatus.REQUESTED: "starting",
    SessionStatus.CREATED: "waiting_for_vehicle",
    SessionStatus.STARTED: "charging",
    SessionStatus.STOPPING: "stopping",
    SessionStatus.ENDED: "ended",
    SessionStatus.CANCELLED: "cancelled",
    SessionStatus.START_FAILED: "start_failed",
    SessionStatus.STOP_FAILED: "stop_failed",
}
_SUSPENDED = frozenset({ConnectorStatus.SUSPENDED_EV, ConnectorStatus.SUSPENDED_EVSE})


def session_state(state: ConnectorState) -> str:
    """What the connector's session is doing, in the sensor's terms."""
    session = state.session
    if session is None:
        return "idle"
    if session.status is SessionStatus.STARTED and state.connector.status in _SUSPENDED:
        return "suspended"
    return _SESSION_STATES[session.status]


def _energy(state: ConnectorState) -> float | None:
    """The session's energy; a session that reported none yet has delivered nothing."""
    session = state.session
    if session is None:
        return None
    return 0.0 if session.energy_wh is None else session.energy_wh


def _live(read: Callable[[Session], float | None]) -> Callable[[ConnectorState], float | None]:
    """A live reading: zero without an active session, the last report during one."""

    def value(state: ConnectorState) -> float | None:
        session = state.session
        if session is None or not session.status.is_active:
            return 0.0
        return read(session)

    return value


@dataclass(frozen=True, kw_only=True)
class CpmsConnectorSensorDescription(SensorEntityDescription):
    """A connector sensor, created only where the provider can feed it."""

    value_fn: Callable[[ConnectorState], StateType | datetime]
    supported_fn: Callable[[Capabilities], bool] = lambda _: True


CONNECTOR_SENSORS: tuple[CpmsConnectorSensorDescription, ...] = (
    CpmsConnectorSensorDescription(
        key="session_status",
        translation_key="session_status",
        device_class=SensorDeviceClass.ENUM,
        options=[
            "idle",
            "starting",
            "waiting_for_vehicle",
            "charging",
            "suspended",
            "stopping",
            "ended",
            "cancelled",
            "start_failed",
            "stop_failed",
        ],
        value_fn=session_state,
    ),
    CpmsConnectorSensorDescription(
        key="session_energy",
        translation_key="session_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=_energy,
    ),
    CpmsConnectorSensorDescription(
        key="power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        supported_fn=lambda capabilities: capabilities.power,
        # Nothing flows until the first meter value: 0 W, not unknown (Thor reports none at start).
        value_fn=_live(lambda session: session.power_w or 0.0),
    ),
    CpmsConnectorSensorDescription(
        key="current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        supported_fn=lambda capabilities: capabilities.current,
        value_fn=_live(lambda session: session.current_a),
    ),
    CpmsConnectorSensorDescription(
        key="state_of_charge",
        translation_key="state_of_charge",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        supported_fn=lambda capabilities: capabilities.soc,
        value_fn=lambda state: state.session.soc if state.session else None,
    ),
    CpmsConnectorSensorDescription(
        key="session_cost",
        translation_key="session_cost",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        supported_fn=lambda capabilities: capabilities.cost,
        value_fn=lambda state: (
            state.session.cost.amount if state.session and state.session.cost else None
        ),
    ),
    CpmsConnectorSensorDescription(
        key="connector_status",
        translation_key="connector_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ConnectorStatus],
        supported_fn=lambda capabilities: capabilities.connector_status,
        value_fn=lambda state: state.connector.status.value,
    ),
    CpmsConnectorSensorDescription(
        key="session_started",
        translation_key="session_started",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.session.started_at if state.session else None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CpmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Connector sensors as stations appear, and the account's last-webhook sensor."""
    coordinator = entry.runtime_data
    capabilities = coordinator.client.capabilities
    async_add_entities([CpmsLastWebhookSensor(coordinator)])

    @callback
    def _async_add_meter(connector_id: str) -> None:
        """A lifetime sensor from the connector's first register reading on."""
        if connector_id in coordinator.data.connectors:
            async_add_entities([CpmsLifetimeEnergySensor(coordinator, connector_id)])

    for connector_id, state in coordinator.data.connectors.items():
        if state.meter.wh is not None:
            _async_add_meter(connector_id)
    entry.async_on_unload(coordinator.async_add_meter_listener(_async_add_meter))
    async_add_dynamic_entities(
        entry,
        async_add_entities,
        per_station=lambda coordinator, station: [],
        per_connector=lambda coordinator, connector: [
            CpmsConnectorSensor(coordinator, connector.id, description)
            for description in CONNECTOR_SENSORS
            if description.supported_fn(capabilities)
        ],
    )


class CpmsConnectorSensor(CpmsConnectorEntity, SensorEntity):
    """A value of the connector or of its current session."""

    entity_description: CpmsConnectorSensorDescription

    def __init__(
        self,
        coordinator: CpmsCoordinator,
        connector_id: str,
        description: CpmsConnectorSensorDescription,
    ) -> None:
        """Bind the description to the connector."""
        super().__init__(coordinator, connector_id, description.key)
        self.entity_description = description

    def shown(self) -> tuple[StateType | datetime, str | None]:
        """The value and its unit."""
        return (self.native_value, self.native_unit_of_measurement)

    @property
    def native_value(self) -> StateType | datetime:
        """Read the value from the connector's state."""
        return self.entity_description.value_fn(self.state_data)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Cost is in the session's currency, else Home Assistant's."""
        if self.entity_description.device_class is SensorDeviceClass.MONETARY:
            session = self.session
            return session.cost.currency if session and session.cost else self.hass.config.currency
        return super().native_unit_of_measurement


class CpmsLifetimeEnergySensor(CpmsConnectorEntity, SensorEntity):
    """The connector's meter register: never drops, except for a new meter."""

    _attr_device_class = SensorDeviceClass.ENERGY
    # Created with its first reading: a suggested unit or precision would make Home
    # Assistant rewrite the new entity's state once more, so the reading is kWh to the Wh.
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_state_class = SensorStateClass.TOTAL_INCREASING
    _attr_translation_key = "lifetime_energy"

    def __init__(self, coordinator: CpmsCoordinator, connector_id: str) -> None:
        """Bind to the connector."""
        super().__init__(coordinator, connector_id, "lifetime_energy")

    def shown(self) -> tuple[float | None]:
        """The reading."""
        return (self.native_value,)

    @property
    def native_value(self) -> float | None:
        """The last register reading, kept between sessions and across restarts."""
        wh = self.state_data.meter.wh
        return None if wh is None else round(wh / 1000, 3)


class CpmsLastWebhookSensor(CpmsEntity, SensorEntity):
    """When the account's webhook last received a verified delivery."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "last_webhook"

    def __init__(self, coordinator: CpmsCoordinator) -> None:
        """Attach to the account's device."""
        entry_id = coordinator.config_entry.entry_id
        super().__init__(coordinator, entry_id)
        self._attr_unique_id = f"{entry_id}_last_webhook"
        self._attr_device_info = account_device(coordinator)

    def shown(self) -> tuple[datetime | None]:
        """The time, to the minute."""
        return (self.native_value,)

    @property
    def native_value(self) -> datetime | None:
        """Unknown until the first delivery; to the minute, not rewritten at every delivery."""
        last = self.coordinator.data.last_webhook
        return None if last is None else last.replace(second=0, microsecond=0)
