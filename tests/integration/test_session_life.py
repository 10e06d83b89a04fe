"""A whole charging session, through Home Assistant's services and webhooks, in every dialect.

The simulator answers in each reading of what the clouds' docs leave open (simulator.dialects);
the same life must come out of each: set up, start, webhooks, a reconciling read, stop, end, and
the session's energy, which the Energy dashboard keeps.
"""

from __future__ import annotations

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.cpms.const import DOMAIN, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from simulator.dialects import dialect_names

from .conftest import SetupAccount

LIVES = [
    *(pytest.param("edrv", name, "docs", id=f"edrv-{name}") for name in dialect_names("edrv")),
    *(pytest.param("thor", "docs", name, id=f"thor-{name}") for name in dialect_names("thor")),
]


@pytest.mark.parametrize(("provider", "edrv_dialect", "thor_dialect"), LIVES)
async def test_session_life(
    setup_account: SetupAccount, provider: str, edrv_dialect: str, thor_dialect: str
) -> None:
    """Switch on, see charging and energy rising, switch off, see it ended with the energy."""
    account = await setup_account(provider)
    hass = account.hass
    coordinator = account.entry.runtime_data
    connector = account.connector_id()
    switch = account.entity_id("switch", f"{connector}_charging")
    started = async_capture_events(hass, EVENT_SESSION_STARTED)
    ended = async_capture_events(hass, EVENT_SESSION_ENDED)

    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert account.state("sensor", f"{connector}_session_status") == "idle"

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    assert len(started) == 1
    assert started[0].data["connector_id"] == connector

    await account.run(60)
    energy_1 = float(account.state("sensor", f"{connector}_session_energy"))
    await account.run(300)
    energy_2 = float(account.state("sensor", f"{connector}_session_energy"))
    assert 0 < energy_1 < energy_2 < 2  # kWh of a session, never the meter's register
    assert float(account.state("sensor", f"{connector}_power")) > 0

    # A reconciling read lists the active sessions as this dialect allows: nothing moves.
    calls = sum(account.sim.counters.values())
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    assert sum(account.sim.counters.values()) - calls <= 3

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert account.state("sensor", f"{connector}_session_status") == "stopping"
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    final = float(account.state("sensor", f"{connector}_session_energy"))
    assert final >= energy_2
    (charged,) = [s for s in account.sim.state()["sessions"] if s["provider"] == provider]
    assert final == pytest.approx(charged["energy_wh"] / 1000, abs=0.01)
    assert account.state("sensor", f"{connector}_power") == "0.0"
    assert len(ended) == 1
    assert ended[0].data["reason"] == "ended"
    assert ended[0].data["energy_kwh"] == pytest.approx(final, abs=0.001)  # the sensor shows kWh
    # Every delivery was answered 2xx (eDRV disables endpoints that refuse), and every
    # command taken: nothing to repair.
    webhooks = account.sim.webhook_counters
    assert webhooks.get(f"{provider} sent", 0) > 5
    assert webhooks.get(f"{provider} failed", 0) == 0
    issues = ir.async_get(hass).issues
    assert [key for key in issues if key[0] == DOMAIN] == []


async def test_thor_power_reads_zero_until_the_first_meter_value(
    setup_account: SetupAccount,
) -> None:
    """Thor's start notification carries no power: 0 W until meter values, not unknown."""
    account = await setup_account("thor")
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(5)  # started, the first meter value comes 30 s in
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    assert account.state("sensor", f"{connector}_power") == "0.0"
    await account.run(30)
    assert float(account.state("sensor", f"{connector}_power")) > 0
