"""EV charging through cloud charge-point management systems (eDRV, Thor)."""

from __future__ import annotations

from homeassistant.const import CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .api import Provider
from .const import CONF_CLOUDHOOK_URL, CONF_PROVIDER, CONF_USER_ID, DOMAIN
from .coordinator import CpmsCoordinator
from .data import CpmsConfigEntry, CpmsRuntimeData
from .providers import create_client, create_decoder
from .services import async_setup_services
from .store import SessionStore
from .webhook import CpmsWebhook

PLATFORMS = [Platform.BINARY_SENSOR, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, so automations using them validate even before an entry loads."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CpmsConfigEntry) -> bool:
    """Read the account once, then listen to its webhook."""
    provider = Provider(entry.data[CONF_PROVIDER])
    client = create_client(hass, provider, entry.data, entry.options.get(CONF_USER_ID))
    coordinator = CpmsCoordinator(hass, entry, client, SessionStore(hass, entry.entry_id))
    await coordinator.async_config_entry_first_refresh()

    decoder = create_decoder(provider, entry.options, coordinator.station_ids)
    receiver = CpmsWebhook(hass, entry, coordinator, decoder)
    await receiver.async_register()
    entry.async_on_unload(receiver.unregister)

    entry.runtime_data = CpmsRuntimeData(client=client, coordinator=coordinator, webhook=receiver)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CpmsConfigEntry) -> bool:
    """Unload platforms; the webhook is unregistered by the entry's unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: CpmsConfigEntry) -> None:
    """Delete the stored sessions and the Nabu Casa cloudhook of a removed account."""
    await SessionStore(hass, entry.entry_id).async_remove()
    if entry.data.get(CONF_CLOUDHOOK_URL) and "cloud" in hass.config.components:
        from homeassistant.components import cloud  # noqa: PLC0415 (set up, so importable)

        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: CpmsConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow deleting a station or connector that the account no longer has."""
    data = entry.runtime_data.coordinator.data
    known = {entry.entry_id, *data.stations, *data.connectors}
    return not any(identifier in known for _domain, identifier in device.identifiers)
