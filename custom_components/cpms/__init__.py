"""EV charging through cloud charge-point management systems (eDRV, Thor)."""

from __future__ import annotations

from functools import partial
import logging

from aiohttp import hdrs
from homeassistant.components.webhook import (
    async_register as webhook_register,
    async_unregister as webhook_unregister,
)
from homeassistant.const import CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.typing import ConfigType

from .api import Provider
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_COMMAND_URL,
    CONF_PROVIDER,
    CONF_USER_ID,
    DOMAIN,
    ISSUE_ACCESS_DENIED,
    ISSUE_COMMANDS_REFUSED,
    ISSUE_NEW_STATIONS,
    ISSUE_WEBHOOK_SECRET,
    ISSUE_WEBHOOKS_NOT_ARRIVING,
)
from .coordinator import CpmsConfigEntry, CpmsCoordinator
from .devices import is_known_device
from .providers import create_client, create_decoder
from .services import async_setup_services
from .store import SessionStore
from .webhook import async_webhook_url, get_webhook_handler

_LOGGER = logging.getLogger(__name__)

PLATFORMS = [Platform.BINARY_SENSOR, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, so automations using them validate even before an entry loads."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CpmsConfigEntry) -> bool:
    """Read the account once, then listen to its webhook."""
    provider = Provider(entry.data[CONF_PROVIDER])
    client = create_client(
        hass,
        provider,
        entry.data,
        entry.options.get(CONF_USER_ID),
        on_command_url=partial(_remember_command_url, hass, entry),
    )
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    webhook_url = (
        entry.data.get(CONF_CLOUDHOOK_URL) or (await async_webhook_url(hass, webhook_id)).url
    )
    coordinator = CpmsCoordinator(
        hass, entry, client, SessionStore(hass, entry.entry_id), webhook_url
    )
    await coordinator.async_config_entry_first_refresh()

    decoder = create_decoder(
        client,
        entry.options,
        coordinator.station_ids,
        timestamped_only=coordinator.signatures_timestamped,
        on_timestamped=coordinator.note_signatures_timestamped,
    )
    # Accept POSTs from anywhere: the cloud delivers over the internet.
    webhook_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        get_webhook_handler(decoder, coordinator),
        allowed_methods=[hdrs.METH_POST],
    )
    entry.async_on_unload(partial(webhook_unregister, hass, webhook_id))

    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _remember_command_url(hass: HomeAssistant, entry: CpmsConfigEntry, url: str) -> None:
    """Thor took commands at the other host: send them there from now on, restarts included."""
    _LOGGER.warning(
        "Thor refused commands at %s and took them at %s; using %s from now on",
        entry.data.get(CONF_COMMAND_URL) or "the configured address",
        url,
        url,
    )
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_COMMAND_URL: url})


async def async_unload_entry(hass: HomeAssistant, entry: CpmsConfigEntry) -> bool:
    """Unload platforms; the webhook is unregistered by the entry's unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: CpmsConfigEntry) -> None:
    """Delete the stored sessions, the repair issues and the cloudhook of a removed account."""
    await SessionStore(hass, entry.entry_id).async_remove()
    for issue in (
        ISSUE_NEW_STATIONS,
        ISSUE_WEBHOOKS_NOT_ARRIVING,
        ISSUE_WEBHOOK_SECRET,
        ISSUE_ACCESS_DENIED,
        ISSUE_COMMANDS_REFUSED,
    ):
        ir.async_delete_issue(hass, DOMAIN, f"{issue}_{entry.entry_id}")
    if entry.data.get(CONF_CLOUDHOOK_URL) and "cloud" in hass.config.components:
        from homeassistant.components import cloud  # noqa: PLC0415 (set up, so importable)

        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: CpmsConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow deleting a station or connector that the account no longer has."""
    return not is_known_device(entry.entry_id, entry.runtime_data.data, device)
