"""Choosing stations: in the flow and the options of a large account, and what it removes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cpms.const import (
    CONF_ADD_NEW_STATIONS,
    CONF_EXCLUDED_STATIONS,
    CONF_SAFETY_REFRESH,
    CONF_STATIONS,
    CONF_USER_ID,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
)
from simulator import Simulator, SimulatorConfig
from tests.test_repository import config_yaml_fields

from .conftest import SECRET, Account, _http_client, _wired
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
    # The listing is read in pages, never station by station; eDRV's first listing also asks
    # for page 0 once, to learn where its pages start.
    listing = "edrv GET /chargestations" if provider == "edrv" else "thor GET /chargeboxes"
    assert simulator.counters[listing] == (-(-STATIONS // PAGE) + 1 if provider == "edrv" else 1)
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
    # config.yaml describes everything the entry stores, for hassfest.
    assert set(entry.data) <= config_yaml_fields("data")
    assert set(entry.options) <= config_yaml_fields("options")
    assert shown(hass, entry) == expected(simulator, provider, entry, chosen)


type AddAccount = Callable[..., Awaitable[Account]]


@pytest.fixture
async def add_wired_account(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: ClientSessionGenerator
) -> AddAccount:
    """Add the account through the flow with a choice of stations, and wire its webhook."""
    client = await _http_client(hass, hass_client_no_auth)

    async def add(provider: str, chosen: list[str], *, add_new: bool) -> Account:
        entry = await add_account(hass, simulator, provider, chosen, add_new=add_new)
        return _wired(Account(hass, simulator, provider, entry), client)

    return add


def listing(provider: str) -> str:
    return "edrv GET /chargestations" if provider == "edrv" else "thor GET /chargeboxes"


async def change_options(account: Account, chosen: list[str], *, add_new: bool) -> None:
    """Submit the options form with this choice of stations; the entry reloads."""
    hass, sim = account.hass, account.sim
    result = await hass.config_entries.options.async_init(account.entry.entry_id)
    user_input: dict[str, Any] = {
        CONF_STATIONS: chosen,
        CONF_ADD_NEW_STATIONS: add_new,
        CONF_SAFETY_REFRESH: 15,
    }
    if account.provider == "edrv":
        user_input |= {CONF_USER_ID: sim.edrv_user_ids[0], CONF_WEBHOOK_SECRET: SECRET}
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def look_for_new_stations(account: Account) -> None:
    """eDRV lists stations again on a new station's online webhook; Thor only on a reload."""
    if account.provider == "edrv":
        await account.run()
        await account.hass.async_block_till_done(wait_background_tasks=True)
    else:
        assert await account.hass.config_entries.async_reload(account.entry.entry_id)
        await account.hass.async_block_till_done()


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_options_remove_and_add_back(
    hass: HomeAssistant, simulator: Simulator, add_wired_account: AddAccount, provider: str
) -> None:
    """Stations removed in the options lose devices and entities; their events cost nothing."""
    ids = simulator.station_ids(provider)
    account = await add_wired_account(provider, ids, add_new=True)
    entry = account.entry
    assert shown(hass, entry) == expected(simulator, provider, entry, ids)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    form = fields(result)
    assert list(form)[-3:] == [CONF_STATIONS, CONF_ADD_NEW_STATIONS, CONF_SAFETY_REFRESH]
    assert form[CONF_STATIONS].description == {"suggested_value": ids}
    hass.config_entries.options.async_abort(result["flow_id"])

    kept, removed = ids[:5], ids[5:]
    await change_options(account, kept, add_new=True)
    assert entry.options[CONF_STATIONS] == sorted(kept)
    assert entry.options[CONF_EXCLUDED_STATIONS] == sorted(removed)
    assert shown(hass, entry) == expected(simulator, provider, entry, kept)

    # A charge at a removed station is delivered, answered 200 and ignored, with no API call.
    simulator.reset_counters()
    simulator.local_start(provider, removed[0], 1, "card-1")
    await account.run(60)
    assert simulator.webhook_counters.get(f"{provider} sent", 0) > 0
    assert f"{provider} failed" not in simulator.webhook_counters
    assert simulator.counters == {}
    assert shown(hass, entry) == expected(simulator, provider, entry, kept)

    # Chosen again, it comes back.
    await change_options(account, [*kept, removed[0]], add_new=True)
    assert shown(hass, entry) == expected(simulator, provider, entry, [*kept, removed[0]])


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_new_station_is_added(
    hass: HomeAssistant, simulator: Simulator, add_wired_account: AddAccount, provider: str
) -> None:
    """With "add new stations" on, a station that joins the account later is added."""
    chosen = simulator.station_ids(provider)[:3]
    account = await add_wired_account(provider, chosen, add_new=True)
    simulator.reset_counters()
    new = simulator.add_station(provider)
    await look_for_new_stations(account)
    assert shown(hass, account.entry) == expected(
        simulator, provider, account.entry, [*chosen, new]
    )
    # One listing, in pages: 9 stations, 3 a page on eDRV.
    assert simulator.counters[listing(provider)] == (3 if provider == "edrv" else 1)
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"new_stations_{account.entry.entry_id}") is None
    )


@pytest.mark.parametrize("provider", ["edrv", "thor"])
@pytest.mark.parametrize("accept", [True, False], ids=["accepted", "declined"])
async def test_new_station_is_offered(
    hass: HomeAssistant,
    simulator: Simulator,
    add_wired_account: AddAccount,
    provider: str,
    accept: bool,
) -> None:
    """With "add new stations" off, a repair issue offers it; its fix adds it, or leaves it out."""
    chosen = simulator.station_ids(provider)[:3]
    account = await add_wired_account(provider, chosen, add_new=False)
    entry = account.entry
    new = simulator.add_station(provider)
    await look_for_new_stations(account)
    assert shown(hass, entry) == expected(simulator, provider, entry, chosen)
    issue_id = f"new_stations_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "1"

    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, context={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "stations"
    assert fields(result)[CONF_STATIONS].description == {"suggested_value": [new]}
    result = await manager.async_configure(
        result["flow_id"], {CONF_STATIONS: [new] if accept else []}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    if accept:
        assert entry.options[CONF_STATIONS] == sorted([*chosen, new])
        assert shown(hass, entry) == expected(simulator, provider, entry, [*chosen, new])
        # An issue of a removed account goes with it.
        simulator.add_station(provider)
        await look_for_new_stations(account)
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
        assert await hass.config_entries.async_remove(entry.entry_id)
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    else:
        assert new in entry.options[CONF_EXCLUDED_STATIONS]
        assert shown(hass, entry) == expected(simulator, provider, entry, chosen)
        # Declined, it is not offered again.
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
