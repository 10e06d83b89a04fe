"""The account's devices: registering them, and which ones the account still has."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN
from .data import CpmsData


def is_known_device(entry_id: str, data: CpmsData, device: dr.BaseDeviceEntry) -> bool:
    """Whether the device is the account's, or one of its stations or connectors."""
    return any(
        identifier == entry_id or identifier in data.stations or identifier in data.connectors
        for _domain, identifier in device.identifiers
    )


@callback
def async_sync_devices(
    hass: HomeAssistant, entry: ConfigEntry, manufacturer: str, data: CpmsData
) -> dict[str, str]:
    """Register the account and its stations, remove what it lost; the stations' device ids."""
    registry = dr.async_get(hass)
    account = registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=dr.DeviceEntryType.SERVICE,
        manufacturer=manufacturer,
        name=entry.title,
    )
    device_ids: dict[str, str] = {}
    for station in data.stations.values():
        device = registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, station.id)},
            manufacturer=station.vendor,
            model=station.model,
            name=station.name,
            serial_number=station.serial,
            sw_version=station.firmware,
            via_device_id=account.id,
        )
        device_ids[station.id] = device.id
    # Children first: removing a station removes its connectors with it.
    for stale in (
        *dr.async_child_entries_for_config_entry(registry, entry.entry_id),
        *dr.async_entries_for_config_entry(registry, entry.entry_id),
    ):
        if not is_known_device(entry.entry_id, data, stale):
            registry.async_remove_device(stale.id)
    return device_ids
