"""The lifetime energy sensor: the meter register, monotonic across sessions and restarts."""

from __future__ import annotations

import json

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cpms.const import DOMAIN
from simulator.world import Provider

from .conftest import Account, SetupAccount


def _lifetime_id(account: Account, connector: str) -> str | None:
    return er.async_get(account.hass).async_get_entity_id(
        "sensor", DOMAIN, f"{connector}_lifetime_energy"
    )


def _register_kwh(account: Account, provider: Provider, connector: str) -> float:
    """The simulated station's register now: its base plus a running session's energy."""
    world = account.sim.world
    plug = world.find_connector(provider, connector)
    assert plug is not None
    session = plug.session
    if session is None or session.started_at is None:
        return plug.register_wh / 1000
    return (session.meter_start_wh + world.energy_wh(session)) / 1000


async def test_monotonic_across_sessions_and_a_restart(setup_account: SetupAccount) -> None:
    """Two sessions and a reload: the reading only rises, and keeps still in between."""
    account = await setup_account("edrv")
    hass = account.hass
    connector = account.connector_id()
    assert _lifetime_id(account, connector) is None  # no register reported yet

    async def session(minutes: int) -> None:
        await account.switch("turn_on", connector)
        for _ in range(minutes * 2):
            await account.run(30)
        await account.switch("turn_off", connector)
        await account.run(30)

    await session(10)
    entity_id = _lifetime_id(account, connector)
    assert entity_id is not None
    seen: list[float] = []

    def record(event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None and state.state not in (
            STATE_UNKNOWN,
            STATE_UNAVAILABLE,
        ):
            seen.append(float(state.state))

    unsubscribe = async_track_state_change_event(hass, entity_id, record)
    first = float(account.state("sensor", f"{connector}_lifetime_energy"))
    assert first == pytest.approx(_register_kwh(account, Provider.EDRV, connector), abs=0.01)
    assert first > 100  # the register, not a session's few kWh

    await account.run(600)  # between sessions: nothing moves
    assert float(account.state("sensor", f"{connector}_lifetime_energy")) == first

    assert await hass.config_entries.async_reload(account.entry.entry_id)
    await hass.async_block_till_done()
    assert float(account.state("sensor", f"{connector}_lifetime_energy")) == first

    await session(10)
    last = float(account.state("sensor", f"{connector}_lifetime_energy"))
    assert last == pytest.approx(_register_kwh(account, Provider.EDRV, connector), abs=0.01)
    unsubscribe()

    assert last > first
    assert len(seen) >= 5
    assert seen == sorted(seen)
    # Connectors that never reported a register have no lifetime sensor.
    assert _lifetime_id(account, account.connector_id(connector=2)) is None
    assert account.state("sensor", f"{connector}_session_energy") != str(last)


async def test_register_going_backwards(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A late lower reading is ignored, one stray low reading too; a new meter is followed."""
    account = await setup_account("thor")
    connector = account.connector_id()
    box = account.sim.station_ids("thor")[0]
    client = await hass_client_no_auth()
    # Meter values count for a charge the cloud confirms as running: a card's, whose own
    # readings are then kept back so that only the ones below arrive.
    account.sim.local_start("thor", box, 1, "CARD")
    await account.run(10)
    account.sim.faults.webhook_hold = True

    async def reading(kwh: float) -> str:
        body = {
            "type": "meters",
            "chargebox": box,
            "connector": 1,
            "idTag": "CARD",
            "time": "00:10:00",
            "kwh": 500,
            "meters": [{"measurand": "Energy.Active.Import.Register", "uom": "kWh", "value": kwh}],
        }
        response = await client.post(account.webhook_path, data=json.dumps(body))
        assert response.status == 200
        await account.hass.async_block_till_done()
        return account.state("sensor", f"{connector}_lifetime_energy")

    assert await reading(1000.0) == "1000.0"
    assert await reading(1000.5) == "1000.5"
    assert await reading(999.8) == "1000.5"  # a late delivery
    assert await reading(0.0) == "1000.5"  # one stray reading
    assert await reading(1000.6) == "1000.6"
    # A new meter: far lower, and a second reading agrees.
    assert await reading(2.0) == "1000.6"
    assert await reading(2.1) == "2.1"
    assert await reading(2.4) == "2.4"

    assert await account.hass.config_entries.async_reload(account.entry.entry_id)
    await account.hass.async_block_till_done()
    assert account.state("sensor", f"{connector}_lifetime_energy") == "2.4"
    assert await reading(2.3) == "2.4"
