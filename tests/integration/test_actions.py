"""The cpms actions against the simulator: accepted, rejected, not supported, bad input."""

from __future__ import annotations

from typing import Any

from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import probatio
import pytest

from custom_components.cpms.const import DOMAIN
from simulator.world import Provider

from .conftest import Account, SetupAccount


async def _call(account: Account, action: str, target: dict[str, Any], **data: Any) -> None:
    await account.hass.services.async_call(DOMAIN, action, {**target, **data}, blocking=True)


def _switch(account: Account) -> dict[str, str]:
    return {ATTR_ENTITY_ID: account.entity_id("switch", f"{account.connector_id()}_charging")}


async def test_actions_exist_without_an_account(hass: HomeAssistant) -> None:
    """Registered when the integration loads, so automations validate before any entry."""
    assert await async_setup_component(hass, DOMAIN, {})
    for action in ("start_charging", "stop_charging", "set_current_limit"):
        assert hass.services.has_service(DOMAIN, action)


async def test_start_with_a_target_on_the_device(
    setup_account: SetupAccount, device_registry: dr.DeviceRegistry
) -> None:
    """Targeting the connector's device starts it; eDRV ends the session at the energy target."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    connector = account.connector_id()
    device = device_registry.async_get_child_device_by_identifier(
        (DOMAIN, connector), account.entry.entry_id
    )
    assert device is not None

    await _call(account, "start_charging", {ATTR_DEVICE_ID: device.id}, energy=0.5)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert account.sim.counters == {"edrv POST /sessions": 1}
    session = account.sim.world.find_connector(Provider.EDRV, connector).session
    assert session is not None
    assert session.target == {"energy": 0.5}
    # The other connector of the station was not touched.
    other = account.connector_id(connector=2)
    assert account.state("switch", f"{other}_charging") == STATE_OFF

    # 11 kW or more: 0.5 kWh within 3 minutes, then eDRV stops by itself.
    await account.run(10)
    for _ in range(12):
        await account.run(30)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert 500 <= float(account.state("sensor", f"{connector}_session_energy")) * 1000 < 1500


async def test_start_and_stop_on_the_switch(setup_account: SetupAccount) -> None:
    """Without targets, both providers start and stop through the actions."""
    for provider in ("edrv", "thor"):
        account = await setup_account(provider)
        connector = account.connector_id()
        await _call(account, "start_charging", _switch(account))
        await account.run(10)
        assert account.state("sensor", f"{connector}_session_status") == "charging"
        await _call(account, "stop_charging", _switch(account))
        await account.run(10)
        assert account.state("sensor", f"{connector}_session_status") == "ended"


async def test_set_current_limit(setup_account: SetupAccount) -> None:
    """The action sets the same limit as the number, in whole amperes."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    connector = account.connector_id()
    await _call(account, "set_current_limit", _switch(account), current=9.8)
    await account.run(5)
    assert account.state("number", f"{connector}_current_limit") == "9.0"
    assert account.sim.counters == {"edrv POST /connectors/{id}/set_default_power_limit": 1}


async def test_rejected_by_the_cloud(setup_account: SetupAccount) -> None:
    """The cloud's refusal is a translated error, and the switch stays off."""
    account = await setup_account("edrv")
    account.sim.faults.refuse_requests = "406 Chargestation is offline"
    with pytest.raises(HomeAssistantError) as raised:
        await _call(account, "start_charging", _switch(account), duration=30)
    assert raised.value.translation_key == "station_offline"
    assert account.state("switch", f"{account.connector_id()}_charging") == STATE_OFF


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("start_charging", {"energy": 10}, "targets_not_supported"),
        ("start_charging", {"cost": 5}, "targets_not_supported"),
        ("set_current_limit", {"current": 10}, "current_limit_not_supported"),
    ],
)
async def test_not_supported_by_thor(
    setup_account: SetupAccount, action: str, data: dict[str, float], key: str
) -> None:
    """Thor has no targets and no current limit: a translated error naming Thor."""
    account = await setup_account("thor")
    account.sim.reset_counters()
    with pytest.raises(HomeAssistantError) as raised:
        await _call(account, action, _switch(account), **data)
    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == {"provider": "Thor"}
    assert account.sim.counters == {}


@pytest.mark.parametrize("current", [3, 5.9, 33, 80])
async def test_current_out_of_range(setup_account: SetupAccount, current: float) -> None:
    """Outside 6 A to the connector's rating: a validation error, and nothing is sent."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    with pytest.raises(ServiceValidationError) as raised:
        await _call(account, "set_current_limit", _switch(account), current=current)
    assert raised.value.translation_key == "current_out_of_range"
    placeholders = raised.value.translation_placeholders or {}
    assert placeholders["min"] == "6"
    assert placeholders["max"] in ("16", "32")
    assert account.sim.counters == {}


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("start_charging", {"energy": -1}),
        ("start_charging", {"duration": 0}),
        ("start_charging", {"cost": "a lot"}),
        ("start_charging", {"soc": 80}),
        ("set_current_limit", {}),
        ("set_current_limit", {"current": "max"}),
    ],
)
async def test_bad_input(setup_account: SetupAccount, action: str, data: dict[str, object]) -> None:
    """Malformed fields are refused before anything is sent."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    with pytest.raises(probatio.Invalid):
        await _call(account, action, _switch(account), **data)
    assert account.sim.counters == {}
    assert account.state("switch", f"{account.connector_id()}_charging") == STATE_OFF
