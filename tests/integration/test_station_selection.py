"""Choosing stations: in the flow and the options of a large account, and what it removes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.cpms.const import (
    CONF_ADD_NEW_STATIONS,
    CONF_EXCLUDED_STATIONS,
    CONF_STATIONS,
    CONF_USER_ID,
    CONF_WEBHOOK_SECRET,
)
from simulator import Simulator, SimulatorConfig

from .conftest import SECRET
from .test_config_flow import configure, credentials, fields, finish, schema, start_flow

STATIONS = 8
PAGE = 3  # eDRV lists in pages; the simulator's are this small to show it


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """An account with more than a handful of stations."""
    sim = Simulator(
        SimulatorConfig(
            stations=STATIONS, connectors=2, max_page_size=PAGE, edrv_webhook_secret=SECRET
        )
    )
    await sim.start()
    yield sim
    await sim.stop()


async def stations_form(hass: HomeAssistant, sim: Simulator, provider: str) -> ConfigFlowResult:
    """The flow up to the choice of stations."""
    result = await configure(hass, await start_flow(hass, provider), credentials(sim, provider))
    if provider == "edrv":
        result = await configure(
            hass, result, {CONF_USER_ID: sim.edrv_user_ids[0], CONF_WEBHOOK_SECRET: SECRET}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "stations"
    return result


async def add_account(
    hass: HomeAssistant, sim: Simulator, provider: str, chosen: list[str], *, add_new: bool
) -> ConfigEntry:
    result = await stations_form(hass, sim, provider)
    result = await configure(hass, result, {CONF_STATIONS: chosen, CONF_ADD_NEW_STATIONS: add_new})
    assert result["step_id"] == f"webhook_{provider}"
    return await finish(hass, result)


def shown(hass: HomeAssistant, entry: ConfigEntry) -> tuple[set[str], set[str]]:
    """The identifiers of the entry's devices, and the connectors with a Charging switch."""
    registry = dr.async_get(hass)
    devices = {
        identifier
        for device in (
            *dr.async_entries_for_config_entry(registry, entry.entry_id),
            *dr.async_child_entries_for_config_entry(registry, entry.entry_id),
        )
        for _domain, identifier in device.identifiers
    }
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    switches = {e.unique_id.removesuffix("_charging") for e in entities if e.domain == "switch"}
    return devices, switches


def expected(
    sim: Simulator, provider: str, entry: ConfigEntry, station_ids: list[str]
) -> tuple[set[str], set[str]]:
    """The account's device, the stations' devices, and their connectors' devices and switches."""
    connectors = {c for station in station_ids for c in sim.connector_ids(provider, station)}
    return {entry.entry_id, *station_ids, *connectors}, connectors


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_flow_chooses_stations(
    hass: HomeAssistant, simulator: Simulator, provider: str
) -> None:
    """All stations are offered and chosen at first; only the chosen ones get devices."""
    ids = simulator.station_ids(provider)
    simulator.reset_counters()
    result = await stations_form(hass, simulator, provider)
    assert result["description_placeholders"] == {"count": str(STATIONS)}
    form = fields(result)
    assert list(form) == [CONF_STATIONS, CONF_ADD_NEW_STATIONS]
    assert form[CONF_STATIONS].description == {"suggested_value": ids}
    assert form[CONF_ADD_NEW_STATIONS].description == {"suggested_value": True}
    offered = schema(result)[form[CONF_STATIONS]].config["options"]
    assert sorted(option["value"] for option in offered) == sorted(ids)
    # The listing is read in pages, never station by station.
    listing = "edrv GET /chargestations" if provider == "edrv" else "thor GET /chargeboxes"
    assert simulator.counters[listing] == (-(-STATIONS // PAGE) if provider == "edrv" else 1)
    assert not [key for key in simulator.counters if "{id}" in key]

    # Nothing chosen: the form says so and keeps the flow.
    result = await configure(hass, result, {CONF_STATIONS: [], CONF_ADD_NEW_STATIONS: True})
    assert result["step_id"] == "stations"
    assert result["errors"] == {CONF_STATIONS: "no_station_chosen"}

    chosen = ids[2:5]
    result = await configure(hass, result, {CONF_STATIONS: chosen, CONF_ADD_NEW_STATIONS: False})
    assert result["step_id"] == f"webhook_{provider}"
    entry = await finish(hass, result)
    assert entry.options[CONF_STATIONS] == sorted(chosen)
    assert entry.options[CONF_EXCLUDED_STATIONS] == sorted(set(ids) - set(chosen))
    assert entry.options[CONF_ADD_NEW_STATIONS] is False
    assert shown(hass, entry) == expected(simulator, provider, entry, chosen)
