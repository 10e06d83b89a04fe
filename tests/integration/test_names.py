"""Names that tell accounts, stations and connectors apart, and entity ids that stay."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cpms.const import (
    CONF_BASE_URL,
    CONF_PROVIDER,
    CONF_USER_ID,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
)
from simulator import Simulator

from .conftest import SECRET, SetupAccount


async def test_every_name_is_unique(hass: HomeAssistant, setup_account: SetupAccount) -> None:
    """Two stations of two connectors: each device and friendly name says which one it is."""
    account = await setup_account("edrv")
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), account.entry.entry_id)
    children = dr.async_child_entries_for_config_entry(dr.async_get(hass), account.entry.entry_id)
    names = [device.name for device in (*devices, *children)]
    assert len(names) == len(set(names)) == 1 + 2 + 4
    assert sorted(child.name for child in children) == [
        "HA-SIM-01 Connector 1",
        "HA-SIM-01 Connector 2",
        "HA-SIM-02 Connector 1",
        "HA-SIM-02 Connector 2",
    ]
    states = [state for state in hass.states.async_all() if state.entity_id.startswith("switch.")]
    assert sorted((state.entity_id, state.name) for state in states) == [
        ("switch.ha_sim_01_connector_1_charging", "HA-SIM-01 Connector 1 Charging"),
        ("switch.ha_sim_01_connector_2_charging", "HA-SIM-01 Connector 2 Charging"),
        ("switch.ha_sim_02_connector_1_charging", "HA-SIM-02 Connector 1 Charging"),
        ("switch.ha_sim_02_connector_2_charging", "HA-SIM-02 Connector 2 Charging"),
    ]
    every = [state.name for state in hass.states.async_all()]
    assert len(every) == len(set(every))


async def test_old_device_names_are_migrated(hass: HomeAssistant, simulator: Simulator) -> None:
    """Connectors named "Connector 1" before get their station's name; entity ids stay."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="eDRV",
        unique_id=f"edrv_{min(simulator.station_ids('edrv'))}",
        data={
            CONF_PROVIDER: "edrv",
            CONF_API_KEY: simulator.edrv_api_key,
            CONF_BASE_URL: simulator.edrv_base_url,
            CONF_WEBHOOK_ID: "edrv_webhook_id",
        },
        options={CONF_USER_ID: simulator.edrv_user_ids[0], CONF_WEBHOOK_SECRET: SECRET},
    )
    entry.add_to_hass(hass)
    devices, entities = dr.async_get(hass), er.async_get(hass)
    station_id = simulator.station_ids("edrv")[0]
    first, second = simulator.connector_ids("edrv", station_id)
    # What an earlier version registered: the station, and children named only "Connector N".
    station = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, station_id)}, name="HA-SIM-01"
    )
    old = {
        connector_id: devices.async_get_or_create_child(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, connector_id)},
            name=f"Connector {number}",
            parent_device_id=station.id,
        )
        for number, connector_id in enumerate((first, second), start=1)
    }
    devices.async_update_child_device(old[second].id, name_by_user="Van")
    for connector_id, object_id in ((first, "ha_sim_01_connector_1"), (second, "my_van")):
        entities.async_get_or_create(
            "switch",
            DOMAIN,
            f"{connector_id}_charging",
            config_entry=entry,
            device_id=old[connector_id].id,
            suggested_object_id=f"{object_id}_charging",
        )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    renamed = devices.async_get(old[first].id)
    assert renamed is not None
    assert renamed.name == "HA-SIM-01 Connector 1"
    # The same device, renamed: nothing new beside it.
    assert len(dr.async_child_entries_for_config_entry(devices, entry.entry_id)) == 4
    van = devices.async_get(old[second].id)
    assert van is not None
    assert (van.name, van.name_by_user) == ("HA-SIM-01 Connector 2", "Van")
    state = hass.states.get("switch.ha_sim_01_connector_1_charging")
    assert state is not None
    assert state.name == "HA-SIM-01 Connector 1 Charging"
    state = hass.states.get("switch.my_van_charging")
    assert state is not None
    assert state.name == "Van Charging"
    # No entity got a new id beside the old one.
    assert entities.async_get_entity_id("switch", DOMAIN, f"{first}_charging") == (
        "switch.ha_sim_01_connector_1_charging"
    )
    assert entities.async_get_entity_id("switch", DOMAIN, f"{second}_charging") == (
        "switch.my_van_charging"
    )
