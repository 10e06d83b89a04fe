"""The eDRV current limit: set from Home Assistant, confirmed or refused by the station."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.cpms.const import DOMAIN

from .conftest import Account, SetupAccount


async def _set(account: Account, amps: float) -> None:
    await account.hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {
            ATTR_ENTITY_ID: account.entity_id("number", f"{account.connector_id()}_current_limit"),
            ATTR_VALUE: amps,
        },
        blocking=True,
    )


async def test_limit_without_and_with_a_session(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """Idle, the connector's default is set; charging, the session's own limit."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    state = account.hass.states.get(account.entity_id("number", f"{connector}_current_limit"))
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["min"] == 6
    assert state.attributes["max"] in (16, 32)  # the connector's rating

    account.sim.reset_counters()
    await _set(account, 10)
    await account.run(5)
    assert account.state("number", f"{connector}_current_limit") == "10.0"
    assert account.sim.counters == {"edrv POST /connectors/{id}/set_default_power_limit": 1}

    account.sim.local_start("edrv", account.sim.station_ids("edrv")[0], 1, "CARD")
    await account.run(30)
    account.sim.reset_counters()
    await _set(account, 8)
    # Within 15 s of the last request: it waits, and the number shows it meanwhile.
    assert account.state("number", f"{connector}_current_limit") == "8.0"
    assert account.sim.counters == {}
    await account.pass_time(freezer, 15)
    await account.run(5)
    assert account.state("number", f"{connector}_current_limit") == "8.0"
    assert account.sim.counters == {"edrv POST /sessions/{id}/set_power_limit": 1}

    assert await account.hass.config_entries.async_reload(account.entry.entry_id)
    await account.hass.async_block_till_done()
    assert account.state("number", f"{connector}_current_limit") == "8.0"


async def test_limit_refused_by_the_cloud(setup_account: SetupAccount) -> None:
    """A refused call is a translated error, and the limit stays as it was."""
    account = await setup_account("edrv")
    account.sim.faults.refuse_requests = "406 Chargestation is offline"
    with pytest.raises(HomeAssistantError) as raised:
        await _set(account, 12)
    assert raised.value.translation_key == "station_offline"
    assert account.state("number", f"{account.connector_id()}_current_limit") == STATE_UNKNOWN


async def test_thor_has_no_limit(
    setup_account: SetupAccount, entity_registry: er.EntityRegistry
) -> None:
    """Thor documents no way to limit the current: no entity."""
    account = await setup_account("thor")
    entries = er.async_entries_for_config_entry(entity_registry, account.entry.entry_id)
    assert entries
    assert not [entry for entry in entries if entry.domain == NUMBER_DOMAIN]
    assert DOMAIN in account.hass.config.components


async def test_limit_range_from_the_rating(setup_account: SetupAccount) -> None:
    """An 11 kW connector offers up to 16 A, a 22 kW one 32 A, shown as a box of its own."""
    account = await setup_account("edrv")
    station = account.sim.station_ids("edrv")[0]
    ratings = {}
    for number, connector_id in enumerate(account.sim.connector_ids("edrv", station), start=1):
        entity_id = account.entity_id("number", f"{connector_id}_current_limit")
        state = account.hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["mode"] == "box"
        ratings[number] = state.attributes["max"]
        entry = er.async_get(account.hass).async_get(entity_id)
        assert entry is not None
        assert entry.entity_category is None  # a control, driven live by automations
    assert ratings == {1: 16, 2: 32}
