"""The cost of a webhook does not grow with the account: it writes only what it names.

Counted in state writes, not in time: timing belongs to scripts/bench.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
import pytest

from custom_components.cpms.const import (
    CONF_ADD_NEW_STATIONS,
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_PROVIDER,
    CONF_STATIONS,
    DOMAIN,
)
from simulator import Simulator, SimulatorConfig

from .conftest import SECRET, Account, SetupAccount

STATIONS = 40  # 80 connectors, several hundred entities
PAGE_SIZE = 25


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """An operator's account: many stations of two connectors each."""
    sim = Simulator(
        SimulatorConfig(edrv_webhook_secret=SECRET, stations=STATIONS, max_page_size=PAGE_SIZE)
    )
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def writes() -> Iterator[Counter[str]]:
    """Every state write of every entity, by entity id."""
    counts: Counter[str] = Counter()
    original = Entity.async_write_ha_state

    def counting(entity: Entity) -> None:
        counts[entity.entity_id] += 1
        original(entity)

    with patch.object(Entity, "async_write_ha_state", counting):
        yield counts


def _entities_of(account: Account, *device_keys: str) -> set[str]:
    """The entity ids whose unique id starts with one of the keys (a connector or station id)."""
    registry = er.async_get(account.hass)
    return {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(registry, account.entry.entry_id)
        if entry.unique_id.startswith(device_keys)
    }


def _last_webhook(account: Account) -> str:
    """The account's Last webhook sensor, written when a delivery starts a new minute."""
    return account.entity_id("sensor", f"{account.entry.entry_id}_last_webhook")


def _snapshot(hass: HomeAssistant) -> dict[str, State]:
    return {state.entity_id: state for state in hass.states.async_all()}


def _changed(before: dict[str, State], after: dict[str, State]) -> set[str]:
    return {
        entity_id
        for entity_id, state in after.items()
        if (old := before.get(entity_id)) is None
        or (old.state, old.attributes) != (state.state, state.attributes)
    }


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_meter_delivery_writes_only_its_connector(
    setup_account: SetupAccount, writes: Counter[str], provider: str
) -> None:
    """One meter delivery for one connector of 80 writes that connector's changed entities."""
    account = await setup_account(provider)
    hass = account.hass
    station = account.sim.station_ids(provider)[STATIONS // 2]
    connector = account.sim.connector_ids(provider, station)[0]
    total = len(er.async_entries_for_config_entry(er.async_get(hass), account.entry.entry_id))
    assert total > 300
    account.sim.local_start(provider, station, 1, "CARD")
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    # The first register reading creates the Lifetime energy sensor: not the path measured.
    await account.run(account.sim.config.meter_interval_s)

    writes.clear()
    account.sim.reset_counters()
    before = _snapshot(hass)
    await account.run(account.sim.config.meter_interval_s)
    assert account.sim.webhook_counters == {f"{provider} sent": 1}

    written = set(writes)
    energy = account.entity_id("sensor", f"{connector}_session_energy")
    assert energy in written
    assert written <= _entities_of(account, connector) | {_last_webhook(account)}
    # Written only where what it shows changed, and each at most once.
    assert written == _changed(before, _snapshot(hass))
    assert set(writes.values()) == {1}


async def test_station_offline_writes_only_its_station(
    setup_account: SetupAccount, writes: Counter[str]
) -> None:
    """A station going offline writes its own entities and its connectors', nothing else."""
    account = await setup_account("edrv")
    station = account.sim.station_ids("edrv")[STATIONS // 2]
    connectors = account.sim.connector_ids("edrv", station)
    await account.run()

    writes.clear()
    account.sim.set_online("edrv", station, False)
    await account.run()

    assert writes
    assert set(writes) <= _entities_of(account, station, *connectors) | {_last_webhook(account)}
    assert account.state("binary_sensor", f"{station}_online") == "off"
    assert account.state("switch", f"{connectors[0]}_charging") == "unavailable"


async def test_last_webhook_is_written_once_a_minute(
    setup_account: SetupAccount, writes: Counter[str], freezer: FrozenDateTimeFactory
) -> None:
    """The account's Last webhook sensor shows the minute: a burst writes it once."""
    freezer.move_to("2026-11-22T10:00:10+00:00")
    account = await setup_account("edrv")
    last = _last_webhook(account)
    stations = account.sim.station_ids("edrv")
    writes.clear()
    for station in stations[:5]:
        account.sim.set_online("edrv", station, False)
    await account.run()
    assert writes[last] == 1
    assert account.state("sensor", f"{account.entry.entry_id}_last_webhook") == (
        "2026-11-22T10:00:00+00:00"
    )

    freezer.tick(60)
    account.sim.set_online("edrv", stations[0], True)
    await account.run()
    assert writes[last] == 2
    assert account.state("sensor", f"{account.entry.entry_id}_last_webhook") == (
        "2026-11-22T10:01:00+00:00"
    )


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_setup_reads_the_station_list_once(
    setup_account: SetupAccount, simulator: Simulator, provider: str
) -> None:
    """The flow lists the stations; the entry it creates takes that listing over."""
    simulator.reset_counters()
    await setup_account(provider)
    listing = {"edrv": "edrv GET /chargestations", "thor": "thor GET /chargeboxes"}[provider]
    # eDRV pages the list; the flow asks for page 0 once, and the entry's client asks for a
    # one-station page 1 and 0, to learn where pages start. Thor answers the list whole.
    pages = -(-STATIONS // PAGE_SIZE) + 3 if provider == "edrv" else 1
    assert simulator.counters[listing] == pages
    # Nothing per station or connector.
    assert not [route for route in simulator.counters if "{id}" in route]


async def test_setup_reads_the_list_again_after_a_long_pause(
    hass: HomeAssistant,
    setup_account: SetupAccount,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A flow left open for minutes hands over nothing: the account may have changed since."""
    first = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        first["flow_id"], {CONF_PROVIDER: "thor"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: simulator.thor_api_key,
            CONF_ADVANCED: {CONF_BASE_URL: simulator.thor_base_url},
        },
    )
    assert result["step_id"] == "stations"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_STATIONS: simulator.station_ids("thor"), CONF_ADD_NEW_STATIONS: True},
    )
    assert result["step_id"] == "webhook_thor"
    freezer.tick(6 * 60)
    # Another account's flow meanwhile: the stale listing is dropped, not kept for ever.
    await setup_account("edrv")
    simulator.reset_counters()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert simulator.counters["thor GET /chargeboxes"] == 1
