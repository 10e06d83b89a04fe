"""How many API requests changes of the current limit cost: coalesced, deduplicated, paced."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.util import dt as dt_util
import pytest

from custom_components.cpms.limit import LIMIT_INTERVAL
from simulator.world import Provider

from .conftest import Account, SetupAccount

LIMIT_CALL = "edrv POST /connectors/{id}/set_default_power_limit"
PER_MINUTE = 4  # README: at most 4 requests a minute per connector


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


def _requests(account: Account) -> int:
    return account.sim.counters.get(LIMIT_CALL, 0)


def _limit(account: Account) -> str:
    return account.state("number", f"{account.connector_id()}_current_limit")


async def test_burst_of_100_changes_costs_two_requests(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """100 changes at once: the first is sent, the last after the interval, none in between."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    for amps in range(100):
        await _set(account, 6 + amps % 10)  # 6 .. 15 A, starting on 6 A, ending on 15 A
    await account.run(2)
    assert _requests(account) == 1
    assert _limit(account) == "15.0"  # the latest wish, shown at once

    await account.pass_time(freezer, LIMIT_INTERVAL.total_seconds())
    await account.run(2)
    assert _requests(account) == 2
    await account.pass_time(freezer, 120)
    assert _requests(account) == 2
    assert _limit(account) == "15.0"
    assert account.sim.counters == {LIMIT_CALL: 2}
    # The station applies the last value asked for.
    plug = account.sim.world.find_connector(Provider.EDRV, account.connector_id())
    assert plug is not None
    assert plug.default_limit_w == 15 * 3 * 230


async def test_equal_values_send_nothing(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """The value in force, also as a fraction of it, and a wish withdrawn cost nothing."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    await _set(account, 10)
    await account.pass_time(freezer, 60)
    assert _requests(account) == 1

    for amps in (10, 10.2, 10.99):
        await _set(account, amps)
    await account.pass_time(freezer, 60)
    assert _requests(account) == 1

    # Changed, then changed back within the interval: nothing left to send.
    await _set(account, 12)
    assert _requests(account) == 2
    await _set(account, 14)
    await _set(account, 12)
    await account.pass_time(freezer, 60)
    assert _requests(account) == 2
    assert _limit(account) == "12.0"


async def test_at_most_four_requests_a_minute(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """100 changes spread over three minutes: no 60 s hold more than 4 requests."""
    account = await setup_account("edrv")
    account.sim.reset_counters()
    sent_at: list[datetime] = []
    for step in range(100):
        await _set(account, 6 + step % 10)
        await account.pass_time(freezer, 1.8)
        sent_at += [dt_util.utcnow()] * (_requests(account) - len(sent_at))
    await account.pass_time(freezer, 60)
    sent_at += [dt_util.utcnow()] * (_requests(account) - len(sent_at))

    assert 10 <= len(sent_at) <= 1 + 180 // 15 + 1
    for first in sent_at:
        window = [t for t in sent_at if first <= t < first + timedelta(seconds=60)]
        assert len(window) <= PER_MINUTE
    # The last wish reached the station.
    assert _limit(account) == f"{6 + 99 % 10:.1f}"


async def test_a_delayed_request_that_fails_reverts(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A waiting value the cloud refuses is logged, and the number shows the one in force."""
    account = await setup_account("edrv")
    await _set(account, 10)
    await _set(account, 12)
    assert _limit(account) == "12.0"
    account.sim.faults.refuse_requests = "406 Chargestation is offline"
    await account.pass_time(freezer, LIMIT_INTERVAL.total_seconds())
    assert "Setting the current limit to 12.0 A failed" in caplog.text
    assert _limit(account) == "10.0"


async def test_a_session_limit_is_not_in_force_for_the_next_session(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """A limit sent for one session is sent again for the next; within one, only once."""
    account = await setup_account("edrv")
    station = account.sim.station_ids("edrv")[0]
    session_call = "edrv POST /sessions/{id}/set_power_limit"

    account.sim.local_start("edrv", station, 1, "CARD")
    await account.run(30)
    account.sim.reset_counters()
    await _set(account, 8)
    await account.pass_time(freezer, 20)
    await _set(account, 8)
    assert account.sim.counters == {session_call: 1}

    await account.switch("turn_off", account.connector_id())
    await account.run(30)
    account.sim.local_start("edrv", station, 1, "CARD")
    await account.run(30)
    assert account.state("sensor", f"{account.connector_id()}_session_status") == "charging"
    await account.pass_time(freezer, 20)
    await _set(account, 8)
    await account.pass_time(freezer, 20)
    await _set(account, 8)
    assert account.sim.counters.get(session_call) == 2
