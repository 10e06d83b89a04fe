"""Stations that join or leave the account, and stations that start offline."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.cpms.const import DOMAIN

from .conftest import SetupAccount


async def test_new_edrv_station_appears(
    setup_account: SetupAccount, entity_registry: er.EntityRegistry
) -> None:
    """A station that connects for the first time is listed once, and gets its entities."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    station_id = account.sim.add_station("edrv", connectors=1)
    await account.run()
    await account.hass.async_block_till_done(wait_background_tasks=True)
    connector_id = account.sim.connector_ids("edrv", station_id)[0]
    assert account.state("switch", f"{connector_id}_charging") == STATE_OFF
    assert account.sim.counters == {"edrv GET /chargestations": 1}

    # Another newcomer right after: the listing is not repeated within the cooldown.
    account.sim.add_station("edrv", connectors=1)
    await account.run()
    await account.hass.async_block_till_done(wait_background_tasks=True)
    assert account.sim.counters == {"edrv GET /chargestations": 1}


async def test_listing_failure_keeps_what_is_known(setup_account: SetupAccount) -> None:
    """A station listing that fails changes nothing and is not fatal."""
    account = await setup_account("edrv")
    account.sim.faults.refuse_requests = "404 Not Found"
    station_id = account.sim.add_station("edrv", connectors=1)
    await account.run()
    await account.hass.async_block_till_done(wait_background_tasks=True)
    registry = er.async_get(account.hass)
    connector_id = account.sim.connector_ids("edrv", station_id)[0]
    assert registry.async_get_entity_id("switch", DOMAIN, f"{connector_id}_charging") is None
    assert account.state("switch", f"{account.connector_id()}_charging") == STATE_OFF


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_removed_station_is_deleted(
    setup_account: SetupAccount, device_registry: dr.DeviceRegistry, provider: str
) -> None:
    """A station gone from the account loses its devices at the next listing (a reload)."""
    account = await setup_account(provider)
    entry_id = account.entry.entry_id
    gone = account.sim.station_ids(provider)[-1]
    kept = account.sim.station_ids(provider)[0]
    account.sim.remove_station(provider, gone)
    assert await account.hass.config_entries.async_reload(entry_id)
    await account.hass.async_block_till_done()
    assert device_registry.async_get_device_by_identifier((DOMAIN, gone), entry_id) is None
    assert device_registry.async_get_device_by_identifier((DOMAIN, kept), entry_id) is not None
    children = dr.async_child_entries_for_config_entry(device_registry, entry_id)
    assert len(children) == len(account.sim.connector_ids(provider, kept))


async def test_thor_station_offline_at_start(setup_account: SetupAccount) -> None:
    """Thor tells connectivity only in its listing: an offline chargebox starts unavailable."""
    account = await setup_account("thor")
    station = account.sim.station_ids("thor")[0]
    account.sim.set_online("thor", station, False)
    assert await account.hass.config_entries.async_reload(account.entry.entry_id)
    await account.hass.async_block_till_done()
    assert account.state("binary_sensor", f"{station}_online") == STATE_OFF
    assert account.state("switch", f"{account.connector_id()}_charging") == STATE_UNAVAILABLE
